// Contract v2 §E: display tokens — read-only, revocable principals for wall screens, limited to their stations.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { createUser, openLive, startTestService, type TestService } from '../../helpers/service.ts'

/** The status an upgrade to /ws with `?token=` gets (101 when accepted). */
function upgradeStatus(t: TestService, token: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.svc.httpPort}/ws?token=${encodeURIComponent(token)}`)
  return new Promise((resolve) => {
    ws.once('open', () => (ws.terminate(), resolve(101)))
    ws.once('unexpected-response', (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)))
    ws.once('error', () => resolve(0))
  })
}

describe('display tokens', () => {
  let t: TestService
  let viewer: string
  const a = fixtureStation('dt-a')
  const b = fixtureStation('dt-b')
  let wall: { id: string; token: string; name: string; stations: string[] }

  beforeAll(async () => {
    t = await startTestService({ stations: [a, b] })
    viewer = await createUser(t, 'dt-viewer', 'viewer')
  })
  afterAll(async () => {
    await t?.stop()
  })

  test('an admin makes one: the token is in that answer only, and the list never shows it', async () => {
    const r = await t.api('/api/display-tokens', { method: 'POST', body: { name: '七里河 大屏', stations: ['dt-a'] } })
    expect(r.status).toBe(201)
    wall = r.body
    expect(wall).toMatchObject({ name: '七里河 大屏', stations: ['dt-a'] })
    expect(wall.id).toMatch(/^[0-9a-f]{16}$/)
    expect(wall.token).toMatch(/^swd_[A-Za-z0-9_-]{43}$/)
    const list = await t.api('/api/display-tokens')
    expect(list.status).toBe(200)
    expect(list.body).toEqual([{ id: wall.id, name: '七里河 大屏', stations: ['dt-a'], createdAt: expect.any(Number), createdBy: 'admin' }])
    expect(list.text).not.toContain(wall.token)
  })

  test('only an admin may make, list or revoke them; a bad body names the field', async () => {
    expect((await t.api('/api/display-tokens', { method: 'POST', body: { name: 'x', stations: ['dt-a'] }, token: viewer })).status).toBe(403)
    expect((await t.api('/api/display-tokens', { token: viewer })).status).toBe(403)
    expect((await t.api(`/api/display-tokens/${wall.id}`, { method: 'DELETE', token: viewer })).status).toBe(403)
    const msg = async (body: unknown) => (await t.api('/api/display-tokens', { method: 'POST', body })).body.error.message as string
    expect(await msg({ name: 'x', stations: ['dt-a', 'nope'] })).toBe('body.stations.1: no station "nope"')
    expect(await msg({ name: 'x', stations: [] })).toBe('body.stations: must name at least one station')
    expect(await msg({ stations: ['dt-a'] })).toMatch(/^body\.name: /)
    expect(await msg({ name: '  ', stations: ['dt-a'] })).toBe('body.name: must not be empty')
    expect(await msg({ name: 'x', stations: ['dt-a'], role: 'admin' })).toMatch(/^body: /)
    expect((await t.api('/api/display-tokens/nope', { method: 'DELETE' })).status).toBe(404)
  })

  test('as a Bearer token it reads its stations with viewer rights, and nothing else', async () => {
    const me = await t.api('/api/auth/me', { token: wall.token })
    expect(me.body.user).toEqual({ name: '七里河 大屏', role: 'viewer', stations: ['dt-a'], display: wall.id })
    expect(((await t.api('/api/stations', { token: wall.token })).body as any[]).map((s) => s.id)).toEqual(['dt-a'])
    expect((await t.api('/api/stations/dt-a', { token: wall.token })).status).toBe(200)
    expect((await t.api('/api/stations/dt-b', { token: wall.token })).status).toBe(404)
    expect((await t.api('/api/alerts', { token: wall.token })).status).toBe(200)
    // viewer rights: the audit trail is staff's
    expect((await t.api('/api/stations/dt-a/events', { token: wall.token })).status).toBe(403)
  })

  test('it cannot change anything: every state-changing request is 403', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/stations/dt-a/incidents', {}],
      ['POST', '/api/stations/dt-a/drills', {}],
      ['POST', '/api/alerts/x/ack', {}],
      ['POST', '/api/display-tokens', { name: 'more', stations: ['dt-a'] }],
      ['DELETE', `/api/display-tokens/${wall.id}`, undefined],
      ['POST', '/api/users', { username: 'evil', password: 'evil-password', role: 'admin' }],
      ['PATCH', '/api/users/admin', { stations: null }],
      ['PUT', '/api/stations/dt-a', {}],
    ] as const) {
      const r = await t.api(path, { method, token: wall.token, ...(body ? { body } : {}) })
      expect(r.status, `${method} ${path}`).toBe(403)
      expect(r.body.error.message).toBe('a display token is read-only')
    }
    expect((await t.api('/api/display-tokens')).body).toHaveLength(1)
  })

  test('as ?token= it works on GET only, and a login session is never taken from a URL', async () => {
    const get = await t.api(`/api/overview?token=${encodeURIComponent(wall.token)}`, { token: null })
    expect(get.status).toBe(200)
    expect((get.body.stations as any[]).map((s) => s.id)).toEqual(['dt-a'])
    expect(get.headers.get('referrer-policy')).toBe('no-referrer')
    expect((await t.api(`/api/stations/dt-a/incidents?token=${encodeURIComponent(wall.token)}`, { method: 'POST', body: {}, token: null })).status).toBe(401)
    expect((await t.api(`/api/overview?token=${encodeURIComponent(viewer)}`, { token: null })).status).toBe(401)
    // an unknown route's message does not echo the token
    const unknown = await t.api(`/api/nothing-here?token=${encodeURIComponent(wall.token)}`, { token: null })
    expect(unknown.status).toBe(404)
    expect(unknown.text).not.toContain(wall.token)
  })

  test('/ws takes it as ?token=: snapshot and pushes of its stations only', async () => {
    const live = await openLive(t, wall.token)
    const snap = await live.next((m) => m.type === 'snapshot')
    expect(snap.stations.map((s: any) => s.id)).toEqual(['dt-a'])
    await t.api('/api/stations/dt-b/drills', { method: 'POST', body: {} })
    const drillA = (await t.api('/api/stations/dt-a/drills', { method: 'POST', body: {} })).body
    await live.next((m) => m.type === 'alert' && m.alert.id === drillA.alertId)
    expect(JSON.stringify(live.messages)).not.toContain('dt-b')
    live.close()
  })

  test('revoking closes its open /ws at once and refuses it after, everywhere', async () => {
    const live = await openLive(t, wall.token)
    await live.next((m) => m.type === 'snapshot')
    const closed = new Promise<number>((resolve) => live.ws.once('close', (code) => resolve(code)))
    const started = Date.now()
    expect((await t.api(`/api/display-tokens/${wall.id}`, { method: 'DELETE' })).status).toBe(204)
    expect(await closed).toBe(1008)
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await t.api('/api/stations', { token: wall.token })).status).toBe(401)
    expect((await t.api(`/api/overview?token=${encodeURIComponent(wall.token)}`, { token: null })).status).toBe(401)
    expect(await upgradeStatus(t, wall.token)).toBe(401)
    expect((await t.api('/api/display-tokens')).body).toEqual([])
    expect((await t.api(`/api/display-tokens/${wall.id}`, { method: 'DELETE' })).status).toBe(404)
  })

  test('a token survives a restart with the same DATA_DIR', async () => {
    const made = (await t.api('/api/display-tokens', { method: 'POST', body: { name: 'lobby', stations: ['dt-b', 'dt-a', 'dt-b'] } })).body
    expect(made.stations).toEqual(['dt-b', 'dt-a'])
    await t.restart()
    expect(((await t.api('/api/stations', { token: made.token })).body as any[]).map((s) => s.id).sort()).toEqual(['dt-a', 'dt-b'])
    const live = await openLive(t, made.token)
    expect((await live.next((m) => m.type === 'snapshot')).stations).toHaveLength(2)
    live.close()
    expect((await t.api('/api/display-tokens')).body.map((x: any) => x.name)).toEqual(['lobby'])
  })
})
