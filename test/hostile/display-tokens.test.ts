// Contract v2 §E, thought hostile: display tokens are bounded in number, never logged, never leak
// through a Referer, and cannot be guessed, forged or revoked from another site.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MAX_DISPLAY_TOKENS } from '../../src/auth/display-tokens.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { ADMIN_PASSWORD, openLive, startTestService, type TestService } from '../helpers/service.ts'
import { captureLogger } from '../helpers/tls-and-logs.ts'

describe('display tokens under attack', () => {
  let t: TestService
  const logs = captureLogger()
  const made: { id: string; token: string }[] = []

  beforeAll(async () => {
    t = await startTestService({ stations: [fixtureStation('hx-a'), fixtureStation('hx-b')], logger: logs.logger, env: { LOG_LEVEL: 'trace' } })
  })
  afterAll(async () => {
    await t?.stop()
  })

  test(`at most ${MAX_DISPLAY_TOKENS} exist at once; a revocation frees a place`, async () => {
    const answers = await Promise.all(
      Array.from({ length: MAX_DISPLAY_TOKENS + 5 }, (_, i) => t.api('/api/display-tokens', { method: 'POST', body: { name: `wall ${i}`, stations: ['hx-a'] } })),
    )
    for (const r of answers) if (r.status === 201) made.push(r.body)
    expect(made).toHaveLength(MAX_DISPLAY_TOKENS)
    const refused = answers.filter((r) => r.status !== 201)
    expect(refused.map((r) => r.status)).toEqual([409, 409, 409, 409, 409])
    expect(refused[0]!.body.error.message).toContain(`at most ${MAX_DISPLAY_TOKENS} display tokens`)
    expect((await t.api('/api/display-tokens')).body).toHaveLength(MAX_DISPLAY_TOKENS)
    expect(new Set(made.map((m) => m.token)).size).toBe(MAX_DISPLAY_TOKENS)

    const gone = made.pop()!
    expect((await t.api(`/api/display-tokens/${gone.id}`, { method: 'DELETE' })).status).toBe(204)
    const again = await t.api('/api/display-tokens', { method: 'POST', body: { name: 'replacement', stations: ['hx-b'] } })
    expect(again.status).toBe(201)
    made.push(again.body)
  })

  test('forged, truncated, oversized and other-shaped tokens are all 401, never a 500', async () => {
    const real = made[0]!.token
    const forged = [
      'swd_' + 'A'.repeat(43),
      real.slice(0, -1),
      real + 'x',
      real.toUpperCase(),
      'swd_',
      'swd_' + 'x'.repeat(8000),
      made[0]!.id,
    ]
    for (const token of forged) {
      expect((await t.api('/api/stations', { token })).status).toBe(401)
      expect((await t.api(`/api/stations?token=${encodeURIComponent(token)}`, { token: null })).status).toBe(401)
    }
    expect((await t.api('/api/stations', { token: real })).status).toBe(200)
  })

  test('a foreign page cannot revoke or make one with the admin’s cookie', async () => {
    const login = await t.api('/api/auth/login', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD }, token: null })
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const foreign = { cookie, origin: 'https://evil.example' }
    expect((await t.api(`/api/display-tokens/${made[0]!.id}`, { method: 'DELETE', token: null, headers: foreign })).status).toBe(403)
    expect((await t.api('/api/display-tokens', { method: 'POST', body: { name: 'evil', stations: ['hx-a'] }, token: null, headers: foreign })).status).toBe(403)
    expect((await t.api('/api/stations', { token: made[0]!.token })).status).toBe(200)
    // from the service's own page it works
    const own = { cookie, origin: t.base }
    expect((await t.api(`/api/display-tokens/${made[0]!.id}`, { method: 'DELETE', token: null, headers: own })).status).toBe(204)
    made.shift()
  })

  test('a page opened with ?token= tells the browser to send no Referer, and is not cached', async () => {
    const token = made[0]!.token
    for (const path of [`/?token=${token}`, `/api/overview?token=${token}`]) {
      const res = await fetch(t.base + path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer')
    }
    expect((await fetch(`${t.base}/api/overview?token=${token}`)).headers.get('cache-control')).toBe('no-store')
  })

  test('no display token (nor session token) ever reaches the log', async () => {
    const { token, id } = made[0]!
    await t.api('/api/stations', { token })
    await t.api(`/api/overview?token=${encodeURIComponent(token)}`, { token: null })
    await t.api(`/api/no-such-route?token=${encodeURIComponent(token)}`, { token: null })
    await t.api('/api/stations/hx-a/incidents', { method: 'POST', body: {}, token })
    const live = await openLive(t, token)
    await live.next((m) => m.type === 'snapshot')
    await t.api(`/api/display-tokens/${id}`, { method: 'DELETE' })
    await new Promise((r) => setTimeout(r, 100))
    const text = logs.text()
    // the log does say who made and revoked which token
    expect(logs.lines().filter((l) => l.msg === 'display token created')).toHaveLength(MAX_DISPLAY_TOKENS + 1)
    expect(logs.lines().find((l) => String(l.msg).startsWith('display token revoked') && (l.displayToken as { id: string }).id === id)).toMatchObject({ by: 'admin' })
    for (const m of made) expect(text).not.toContain(m.token)
    expect(text).not.toContain(t.token)
    expect(text).not.toContain('swd_')
  })
})
