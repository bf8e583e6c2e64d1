// Logins are rate-limited; tokens expire and end on logout, everywhere: header, cookie and open /ws.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { createUser, startTestService, type TestService } from '../../helpers/service.ts'

interface OpenWs { ws: WebSocket; closed: Promise<{ code: number; reason: string }> }

/** Opens /ws with a token (query) or a cookie header and waits for the snapshot. */
async function openWs(t: TestService, auth: { token: string } | { cookie: string }): Promise<OpenWs> {
  const url = `ws://127.0.0.1:${t.svc.httpPort}/ws${'token' in auth ? `?token=${encodeURIComponent(auth.token)}` : ''}`
  const ws = new WebSocket(url, 'cookie' in auth ? { headers: { cookie: auth.cookie } } : {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once('error', reject)
  })
  return { ws, closed }
}

/** The status an upgrade to /ws gets (101 when accepted). */
function upgradeStatus(t: TestService, auth: { token?: string; cookie?: string }): Promise<number> {
  const url = `ws://127.0.0.1:${t.svc.httpPort}/ws${auth.token ? `?token=${encodeURIComponent(auth.token)}` : ''}`
  const ws = new WebSocket(url, auth.cookie ? { headers: { cookie: auth.cookie } } : {})
  return new Promise((resolve) => {
    ws.once('open', () => (ws.terminate(), resolve(101)))
    ws.once('unexpected-response', (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)))
    ws.once('error', () => resolve(0))
  })
}

async function login(t: TestService, username: string, password: string) {
  const r = await t.api('/api/auth/login', { method: 'POST', body: { username, password }, token: null })
  const setCookie = r.headers.getSetCookie()
  return { ...r, setCookie, cookie: setCookie[0]?.split(';')[0] ?? '' }
}

/** Races `p` against a timer; 'pending' when it has not settled. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))])
}

describe('login rate limits (per user 5 / 15 min, per address looser)', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
    await Promise.all(['victim', 'resetter', 'burst', 'bystander'].map((u) => createUser(t, u, 'viewer')))
  })
  afterAll(() => t?.stop())

  test('after 5 wrong passwords the 6th attempt is 429 TOO_MANY_REQUESTS with Retry-After, even with the right password', async () => {
    const start = Date.now()
    for (let i = 0; i < 5; i++) expect((await login(t, 'victim', `wrong-${i}`)).status).toBe(401)
    const r = await login(t, 'victim', 'victim-password')
    const elapsed = Math.ceil((Date.now() - start) / 1000)
    expect(r.status).toBe(429)
    expect(r.body).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/too many failed logins/) } })
    const retryAfter = Number(r.headers.get('retry-after'))
    expect(Number.isInteger(retryAfter)).toBe(true)
    expect(retryAfter).toBeGreaterThanOrEqual(15 * 60 - elapsed)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(r.headers.getSetCookie()).toEqual([])
    // Other users from the same address still log in.
    expect((await login(t, 'bystander', 'bystander-password')).status).toBe(200)
  })

  test('a successful login resets the user’s count', async () => {
    for (let i = 0; i < 4; i++) expect((await login(t, 'resetter', `wrong-${i}`)).status).toBe(401)
    expect((await login(t, 'resetter', 'resetter-password')).status).toBe(200)
    for (let i = 0; i < 4; i++) expect((await login(t, 'resetter', `wrong-again-${i}`)).status).toBe(401)
    expect((await login(t, 'resetter', 'resetter-password')).status).toBe(200)
  })

  test('a burst of parallel guesses gets at most 5 verified; the rest are 429 at once', async () => {
    const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => login(t, 'burst', `guess-${i}`)))
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses.filter((s) => s === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(10)
  })

  test('a bad body is a 400 and is not counted as a failed login', async () => {
    await createUser(t, 'typo', 'viewer')
    for (let i = 0; i < 8; i++) expect((await t.api('/api/auth/login', { method: 'POST', body: { username: 'typo' }, token: null })).status).toBe(400)
    expect((await login(t, 'typo', 'typo-password')).status).toBe(200)
  })
})

describe('login rate limit per address', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService({ env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '8' } })
    await createUser(t, 'real', 'viewer')
  })
  afterAll(() => t?.stop())

  test('failures spread over many usernames from one address are refused past the address limit', async () => {
    for (let i = 0; i < 8; i++) expect((await login(t, `nobody-${i}`, 'guess')).status).toBe(401)
    const r = await login(t, 'real', 'real-password')
    expect(r.status).toBe(429)
    expect(r.body.error.message).toMatch(/from this address/)
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})

describe('tokens expire (SESSION_TTL_SECONDS=3)', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService({ env: { SESSION_TTL_SECONDS: '3' } })
  })
  afterAll(() => t?.stop())

  test('token, cookie and /ws all stop working when the session expires; an open /ws is closed', async () => {
    const r = await login(t, 'admin', 'admin-test-password')
    expect(r.status).toBe(200)
    expect(r.body.expiresAt - Date.now()).toBeLessThanOrEqual(3000)
    const token = r.body.token as string
    expect((await t.api('/api/auth/me', { token })).status).toBe(200)
    expect((await t.api('/api/auth/me', { token: null, headers: { cookie: r.cookie } })).status).toBe(200)
    const live = await openWs(t, { token })
    const closed = await within(live.closed, r.body.expiresAt - Date.now() + 2000)
    expect(closed).toEqual({ code: 1008, reason: 'session expired' })
    expect(Date.now()).toBeGreaterThanOrEqual(r.body.expiresAt)
    expect((await t.api('/api/auth/me', { token })).status).toBe(401)
    expect((await t.api('/api/stations', { token })).body.error.code).toBe('UNAUTHENTICATED')
    expect((await t.api('/api/auth/me', { token: null, headers: { cookie: r.cookie } })).status).toBe(401)
    expect(await upgradeStatus(t, { token })).toBe(401)
  })
})

describe('logout revokes the session', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
    await createUser(t, 'leaver', 'responder')
  })
  afterAll(() => t?.stop())

  test('the session cookie is HttpOnly, SameSite=Strict, Path=/ with an expiry, and not Secure over plain HTTP', async () => {
    const r = await login(t, 'leaver', 'leaver-password')
    expect(r.setCookie).toHaveLength(1)
    const attrs = r.setCookie[0]!.split(';').map((a) => a.trim().toLowerCase())
    expect(attrs).toContain('httponly')
    expect(attrs).toContain('samesite=strict')
    expect(attrs).toContain('path=/')
    expect(attrs.some((a) => a.startsWith('expires='))).toBe(true)
    expect(attrs).not.toContain('secure')
  })

  test('after POST /api/auth/logout with the token: the token, its cookie and its /ws stop working; other sessions go on', async () => {
    const a = await login(t, 'leaver', 'leaver-password')
    const b = await login(t, 'leaver', 'leaver-password')
    const liveA = await openWs(t, { token: a.body.token })
    const liveAcookie = await openWs(t, { cookie: a.cookie })
    const liveB = await openWs(t, { token: b.body.token })

    const out = await t.api('/api/auth/logout', { method: 'POST', token: a.body.token })
    expect(out.status).toBe(204)
    // The cookie is cleared in the browser too.
    expect(out.headers.getSetCookie().some((c) => /^sw_session=;/.test(c) && /expires=thu, 01 jan 1970/i.test(c))).toBe(true)

    expect(await within(liveA.closed, 2000)).toEqual({ code: 1008, reason: 'session ended' })
    expect(await within(liveAcookie.closed, 2000)).toEqual({ code: 1008, reason: 'session ended' })
    expect((await t.api('/api/auth/me', { token: a.body.token })).status).toBe(401)
    expect((await t.api('/api/auth/me', { token: null, headers: { cookie: a.cookie } })).status).toBe(401)
    expect(await upgradeStatus(t, { token: a.body.token })).toBe(401)
    expect(await upgradeStatus(t, { cookie: a.cookie })).toBe(401)

    // The other session of the same user is untouched.
    expect(await within(liveB.closed, 300)).toBe('pending')
    expect(liveB.ws.readyState).toBe(WebSocket.OPEN)
    expect((await t.api('/api/auth/me', { token: b.body.token })).status).toBe(200)
    liveB.ws.close()
  })

  test('logout with the cookie alone (as the dashboard does) ends that session and its /ws', async () => {
    const a = await login(t, 'leaver', 'leaver-password')
    const live = await openWs(t, { cookie: a.cookie })
    const out = await t.api('/api/auth/logout', { method: 'POST', token: null, headers: { cookie: a.cookie } })
    expect(out.status).toBe(204)
    expect(await within(live.closed, 2000)).toEqual({ code: 1008, reason: 'session ended' })
    expect((await t.api('/api/auth/me', { token: a.body.token })).status).toBe(401)
  })

  test('logout without a session is a harmless 204', async () => {
    expect((await t.api('/api/auth/logout', { method: 'POST', token: null })).status).toBe(204)
    expect((await t.api('/api/auth/logout', { method: 'POST', token: 'not-a-token' })).status).toBe(204)
  })
})
