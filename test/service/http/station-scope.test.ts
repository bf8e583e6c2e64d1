// Contract v2 §E: a user limited to some stations sees only them, in every surface (API, CSV, /ws).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { login, openLive, publishState, startTestService, type TestService } from '../../helpers/service.ts'

describe('per-user station scope', () => {
  let t: TestService
  /** a responder (staff rights too) of the property company that runs sc-a only */
  let pm: string
  const a = fixtureStation('sc-a')
  const b = fixtureStation('sc-b')
  const month = new Date().toISOString().slice(0, 7)

  beforeAll(async () => {
    t = await startTestService({ stations: [a, b] })
    const r = await t.api('/api/users', { method: 'POST', body: { username: 'pm', password: 'pm-password', role: 'responder', stations: ['sc-a'] } })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({ name: 'pm', role: 'responder', stations: ['sc-a'] })
    pm = await login(t, 'pm', 'pm-password')
  })
  afterAll(async () => {
    await t?.stop()
  })

  test('stations must be known station ids, and the error names the field', async () => {
    const bad = async (stations: unknown) => (await t.api('/api/users', { method: 'POST', body: { username: 'x1', password: 'x1-password', role: 'viewer', stations } })).body.error.message as string
    expect(await bad(['sc-a', 'nope'])).toBe('body.stations.1: no station "nope"')
    expect(await bad('sc-a')).toMatch(/^body\.stations: /)
    expect(await bad([7])).toMatch(/^body\.stations\.0: /)
    expect((await t.api('/api/users', { method: 'POST', body: { username: 'x1', password: 'x1-password', role: 'viewer', stations: ['nope'] } })).status).toBe(400)
  })

  test('the scope is in the login answer, /api/auth/me and the user list; absent means every station', async () => {
    const r = await t.api('/api/auth/login', { method: 'POST', body: { username: 'pm', password: 'pm-password' }, token: null })
    expect(r.body.user).toEqual({ name: 'pm', role: 'responder', stations: ['sc-a'] })
    expect((await t.api('/api/auth/me', { token: pm })).body.user).toEqual({ name: 'pm', role: 'responder', stations: ['sc-a'] })
    const users = (await t.api('/api/users')).body as any[]
    expect(users.find((u) => u.name === 'pm')).toMatchObject({ stations: ['sc-a'] })
    expect(users.find((u) => u.name === 'admin')).not.toHaveProperty('stations')
  })

  test('lists and the overview show only the stations in scope', async () => {
    expect(((await t.api('/api/stations', { token: pm })).body as any[]).map((s) => s.id)).toEqual(['sc-a'])
    expect(((await t.api('/api/overview', { token: pm })).body.stations as any[]).map((s) => s.id)).toEqual(['sc-a'])
    expect(((await t.api('/api/stations')).body as any[]).map((s) => s.id).sort()).toEqual(['sc-a', 'sc-b'])
  })

  test('every station route out of scope answers exactly like an unknown station; in scope it works', async () => {
    const paths = (s: string) => [
      `/api/stations/${s}`,
      `/api/stations/${s}/history?subject=door:main`,
      `/api/stations/${s}/events`,
      `/api/stations/${s}/events?format=csv`,
      `/api/stations/${s}/ledger`,
      `/api/stations/${s}/ledger/movements`,
      `/api/stations/${s}/inspections`,
      `/api/stations/${s}/trainings`,
      `/api/stations/${s}/report?month=${month}&format=json`,
      // express routes case-insensitively: so does the scope
      `/API/Stations/${s}`,
    ]
    for (const [inScope, outOfScope] of zip(paths('sc-a'), paths('sc-b'))) {
      expect((await t.api(inScope, { token: pm })).status, inScope).toBe(200)
      expect((await t.api(outOfScope)).status, `${outOfScope} as admin`).toBe(200)
      const refused = await t.api(outOfScope, { token: pm })
      const unknown = await t.api(outOfScope.replace('sc-b', 'no-such'), { token: pm })
      expect(refused.status, outOfScope).toBe(404)
      expect(refused.body).toEqual({ error: { code: 'STATION_UNKNOWN', message: 'no station "sc-b"' } })
      expect(unknown.body.error.code).toBe('STATION_UNKNOWN')
    }
    // state-changing routes too
    for (const [path, body] of [
      ['/api/stations/sc-b/incidents', {}],
      ['/api/stations/sc-b/drills', {}],
      ['/api/stations/sc-b/ledger/receipts', { itemId: 'water', quantity: 1 }],
      ['/api/stations/sc-b/trainings', { date: '2026-12-01', topic: 'x', participants: ['a'], hours: 1 }],
    ] as const) {
      expect((await t.api(path, { method: 'POST', body, token: pm })).status, path).toBe(404)
    }
    // spellings of the same route that express still routes to it: refused all the same
    for (const path of ['/api/stations/%73c-b', '/API/STATIONS/sc-b/events', '/api/stations/sc-b/', '/api/./stations/sc-b/ledger', '/api/Stations/sc-b?x=1']) {
      expect((await t.api(path)).status, `${path} as admin`).toBe(200)
      expect((await t.api(path, { token: pm })).body.error?.code, path).toBe('STATION_UNKNOWN')
    }
    expect((await t.api('/api/drills?station=sc-b', { token: pm })).status).toBe(404)
    expect((await t.api('/api/ack-times?station=sc-b', { token: pm })).status).toBe(404)
    expect((await t.api('/api/ack-times?station=sc-a', { token: pm })).status).toBe(200)
  })

  test('alerts: lists, acknowledgements, resolutions and delivery logs of another station are out of reach; /ws is filtered', async () => {
    const live = await openLive(t, pm)
    const adminLive = await openLive(t)
    const snapshot = await live.next((m) => m.type === 'snapshot')
    expect(snapshot.stations.map((s: any) => s.id)).toEqual(['sc-a'])
    expect((await adminLive.next((m) => m.type === 'snapshot')).stations).toHaveLength(2)

    // a forced door at each station, sc-b's first: a push for sc-b would reach pm before sc-a's
    const doorB = await t.device('sc-b-door-main')
    await publishState(doorB, 'sc-b', 'sc-b-door-main', { ts: Date.now(), seq: 1, open: true })
    const alertB = (await adminLive.next((m) => m.type === 'alert' && m.alert.station === 'sc-b')).alert
    await adminLive.next((m) => m.type === 'station' && m.station.id === 'sc-b')
    const doorA = await t.device('sc-a-door-main')
    await publishState(doorA, 'sc-a', 'sc-a-door-main', { ts: Date.now(), seq: 1, open: true })
    const alertA = (await live.next((m) => m.type === 'alert' && m.alert.station === 'sc-a')).alert
    await live.next((m) => m.type === 'station' && m.station.id === 'sc-a')
    await adminLive.next((m) => m.type === 'alert' && m.alert.station === 'sc-a')
    expect(JSON.stringify(live.messages)).not.toContain('sc-b')

    const listed = (await t.api('/api/alerts', { token: pm })).body as any[]
    expect(listed.map((x) => x.id)).toEqual([alertA.id])
    expect((await t.api('/api/alerts?station=sc-b', { token: pm })).body).toEqual([])
    expect(((await t.api('/api/alerts')).body as any[]).map((x) => x.id).sort()).toEqual([alertA.id, alertB.id].sort())

    for (const [method, path] of [
      ['POST', `/api/alerts/${alertB.id}/ack`],
      ['POST', `/api/alerts/${alertB.id}/resolve`],
      ['GET', `/api/alerts/${alertB.id}/notifications`],
    ] as const) {
      const r = await t.api(path, { method, token: pm, ...(method === 'POST' ? { body: {} } : {}) })
      expect(r.status, path).toBe(404)
      expect(r.body).toEqual({ error: { code: 'ALERT_UNKNOWN', message: `no alert "${alertB.id}"` } })
    }
    expect((await t.api(`/api/alerts/${alertA.id}/ack`, { method: 'POST', body: {}, token: pm })).body.state).toBe('acknowledged')
    expect((await t.api(`/api/alerts/${alertB.id}`, { token: pm })).status).toBe(404)
    // the admin's alert B is untouched
    expect(((await t.api('/api/alerts?station=sc-b')).body as any[])[0].state).toBe('active')

    // the events CSV of sc-a holds sc-a's door; sc-b's is refused
    const csv = await t.api('/api/stations/sc-a/events?format=csv', { token: pm })
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
    expect(csv.text).toContain('sc-a-door-main')
    expect(csv.text).not.toContain('sc-b')
    live.close()
    adminLive.close()
  })

  test('drills and incidents of another station cannot be listed, ended or closed', async () => {
    const drillB = (await t.api('/api/stations/sc-b/drills', { method: 'POST', body: {} })).body
    const drillA = (await t.api('/api/stations/sc-a/drills', { method: 'POST', body: {} })).body
    const incidentB = (await t.api('/api/stations/sc-b/incidents', { method: 'POST', body: {} })).body
    expect(((await t.api('/api/drills', { token: pm })).body as any[]).map((d) => d.id)).toEqual([drillA.id])
    expect((await t.api(`/api/drills/${drillB.id}/end`, { method: 'POST', body: {}, token: pm })).status).toBe(404)
    expect((await t.api(`/api/incidents/${incidentB.id}/close`, { method: 'POST', body: {}, token: pm })).body.error.code).toBe('INCIDENT_UNKNOWN')
    expect((await t.api(`/api/drills/${drillA.id}/end`, { method: 'POST', body: {}, token: pm })).status).toBe(200)
    expect((await t.api(`/api/drills/${drillB.id}/end`, { method: 'POST', body: {} })).status).toBe(200)
  })

  test('changing the scope takes effect at the next request and closes the user’s open /ws', async () => {
    const live = await openLive(t, pm)
    const closed = new Promise<number>((resolve) => live.ws.once('close', (code) => resolve(code)))
    const r = await t.api('/api/users/pm', { method: 'PATCH', body: { stations: null } })
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ name: 'pm', role: 'responder' })
    expect(await closed).toBe(1008)
    expect(((await t.api('/api/stations', { token: pm })).body as any[]).map((s) => s.id).sort()).toEqual(['sc-a', 'sc-b'])
    const again = await openLive(t, pm)
    expect((await again.next((m) => m.type === 'snapshot')).stations).toHaveLength(2)
    again.close()

    expect((await t.api('/api/users/pm', { method: 'PATCH', body: { stations: ['sc-b', 'zz'] } })).body.error.message).toBe('body.stations.1: no station "zz"')
    expect((await t.api('/api/users/pm', { method: 'PATCH', body: { stations: ['sc-b'] } })).body.stations).toEqual(['sc-b'])
    expect(((await t.api('/api/overview', { token: pm })).body.stations as any[]).map((s) => s.id)).toEqual(['sc-b'])
    expect((await t.api('/api/users/nobody', { method: 'PATCH', body: { role: 'viewer' } })).status).toBe(404)
    expect((await t.api('/api/users/pm', { method: 'PATCH', body: { stations: ['sc-a'] }, token: pm })).status).toBe(403)
  })

  test('the scope survives a restart', async () => {
    await t.restart()
    pm = await login(t, 'pm', 'pm-password')
    expect(((await t.api('/api/stations', { token: pm })).body as any[]).map((s) => s.id)).toEqual(['sc-b'])
  })
})

function zip<A, B>(xs: A[], ys: B[]): [A, B][] {
  return xs.map((x, i) => [x, ys[i]!])
}
