// Contract §4 (authentication, roles, errors, users, health) and §5 (/ws authentication).
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtureDevices } from '../../helpers/contract.ts'
import { ADMIN_PASSWORD, createUser, login, startTestService, type TestService } from '../../helpers/service.ts'

let t: TestService
const tokens: Record<string, string> = {}
/** The session cookie's name, as the login sets it (the contract does not fix it). */
let cookieName = ''
const ROLES = ['viewer', 'staff', 'responder', 'admin'] as const
type Role = (typeof ROLES)[number]
const S = 'teststation'

beforeAll(async () => {
  t = await startTestService()
  for (const role of ROLES) tokens[role] = await createUser(t, `${role}-user`, role)
  const r = await t.api('/api/auth/login', { method: 'POST', body: { username: 'viewer-user', password: 'viewer-user-password' }, token: null })
  cookieName = r.headers.getSetCookie().find((c) => /httponly/i.test(c))?.split('=')[0] ?? 'no-session-cookie-was-set'
})
afterAll(async () => {
  await t?.stop()
})

interface Route { method: 'GET' | 'POST'; path: string; role: Role; body?: () => unknown }
let n = 0
/** Every route of the contract's table that needs a token, with a body that is valid where one is needed. */
const ROUTES: Route[] = [
  { method: 'GET', path: '/api/stations', role: 'viewer' },
  { method: 'GET', path: '/api/overview', role: 'viewer' },
  { method: 'GET', path: `/api/stations/${S}`, role: 'viewer' },
  { method: 'GET', path: `/api/stations/${S}/history?subject=door:main`, role: 'viewer' },
  { method: 'GET', path: `/api/stations/${S}/events`, role: 'staff' },
  { method: 'GET', path: `/api/stations/${S}/events?format=csv`, role: 'staff' },
  { method: 'GET', path: '/api/alerts', role: 'viewer' },
  { method: 'GET', path: `/api/alerts?state=active&station=${S}`, role: 'viewer' },
  { method: 'POST', path: '/api/alerts/no-such-alert/ack', role: 'responder', body: () => ({ note: 'on it' }) },
  { method: 'POST', path: '/api/alerts/no-such-alert/resolve', role: 'responder', body: () => ({}) },
  { method: 'POST', path: `/api/stations/${S}/incidents`, role: 'responder', body: () => ({ note: 'drill' }) },
  { method: 'POST', path: '/api/incidents/no-such-incident/close', role: 'responder' },
  { method: 'GET', path: '/api/rejects', role: 'admin' },
  { method: 'GET', path: '/api/rejects?limit=5', role: 'admin' },
  { method: 'POST', path: '/api/users', role: 'admin', body: () => ({ username: `made-${++n}`, password: 'a-long-password', role: 'viewer' }) },
]
const label = (r: Route) => `${r.method} ${r.path}`

function expectErrorBody(r: { body: any; headers: Headers }, code?: RegExp) {
  expect(r.headers.get('content-type')).toMatch(/application\/json/)
  expect(r.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } })
  expect(r.body.error.message.length).toBeGreaterThan(0)
  if (code) expect(r.body.error.code).toMatch(code)
}

describe.each(ROUTES)('$method $path', (route) => {
  test('without a token is 401 with an error body', async () => {
    const r = await t.api(route.path, { method: route.method, body: route.body?.(), token: null })
    expect(r.status, label(route)).toBe(401)
    expectErrorBody(r)
  })

  test('with an invalid token is 401', async () => {
    const r = await t.api(route.path, { method: route.method, body: route.body?.(), token: 'not-a-real-token' })
    expect(r.status, label(route)).toBe(401)
    expectErrorBody(r)
  })

  test('with an invalid session cookie is 401', async () => {
    const r = await t.api(route.path, { method: route.method, body: route.body?.(), token: null, headers: { cookie: `${cookieName}=not-a-real-token` } })
    expect(r.status, label(route)).toBe(401)
  })

  for (const role of ROLES) {
    const allowed = ROLES.indexOf(role) >= ROLES.indexOf(route.role)
    test(`as ${role} is ${allowed ? 'allowed (not 401/403)' : '403 with an error body'}`, async () => {
      const r = await t.api(route.path, { method: route.method, body: route.body?.(), token: tokens[role] })
      if (allowed) {
        expect(r.status, `${label(route)} as ${role}: ${r.text}`).not.toBe(401)
        expect(r.status, `${label(route)} as ${role}: ${r.text}`).not.toBe(403)
        expect(r.status, `${label(route)} as ${role}: ${r.text}`).toBeLessThan(500)
      } else {
        expect(r.status, `${label(route)} as ${role}`).toBe(403)
        expectErrorBody(r)
      }
    })
  }
})

test('a too-low role is refused before the body is looked at (403, not 400)', async () => {
  const r = await t.api('/api/users', { method: 'POST', body: { nonsense: true }, token: tokens.responder })
  expect(r.status).toBe(403)
})

test('a missing token is refused before the body is looked at (401, not 400)', async () => {
  const r = await t.api('/api/users', { method: 'POST', body: '{not json', token: null })
  expect(r.status).toBe(401)
})

describe('open routes', () => {
  test('/api/health needs no token and has the contract’s shape', async () => {
    const c = await t.device(fixtureDevices(S).doorMain)
    const r = await t.api('/api/health', { token: null })
    expect(r.status).toBe(200)
    expect(['ok', 'degraded']).toContain(r.body.status)
    expect(r.body.mqtt).toEqual(expect.objectContaining({ clients: expect.any(Number) }))
    expect(r.body.mqtt.clients).toBeGreaterThanOrEqual(1)
    expect(r.body.store).toEqual(expect.objectContaining({ kind: 'embedded', ok: true, spooled: expect.any(Number) }))
    expect(r.body.store.spooled).toBe(0)
    expect(r.body.status).toBe('ok')
    await c.endAsync()
  })

  test('/metrics needs no token and is Prometheus text with the contract’s series', async () => {
    const r = await t.api('/metrics', { token: null })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/text\/plain/)
    expect(r.text).toMatch(/^stationwatch_messages_accepted_total/m)
    expect(r.text).toMatch(/^stationwatch_messages_rejected_total/m)
    expect(r.text).toMatch(/^# TYPE \S*connected\S* gauge/m)
    expect(r.text).toMatch(/^\S*alert\S*\{[^}]*state="active"[^}]*\} \d/m)
    expect(r.text).toMatch(/^# TYPE \S*store\S*(seconds|latency)\S* (histogram|summary)/m)
    expect(r.text).toMatch(/^# TYPE \S*spool\S* gauge/m)
  })
})

describe('login', () => {
  test('a good login answers token, expiresAt and the user, and sets an HttpOnly cookie that works alone', async () => {
    const r = await t.api('/api/auth/login', { method: 'POST', body: { username: 'staff-user', password: 'staff-user-password' }, token: null })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ token: expect.any(String), user: { name: 'staff-user', role: 'staff' } })
    expect(r.body.expiresAt).toBeDefined()
    const setCookie = r.headers.getSetCookie()
    expect(setCookie.length).toBeGreaterThan(0)
    const session = setCookie.find((c) => /httponly/i.test(c))
    expect(session, setCookie.join(' | ')).toBeDefined()
    const pair = session!.split(';')[0]!
    const withCookie = await t.api(`/api/stations/${S}/events`, { token: null, headers: { cookie: pair } })
    expect(withCookie.status).toBe(200)
    // The cookie carries the role of its user too.
    const tooHigh = await t.api('/api/rejects', { token: null, headers: { cookie: pair } })
    expect(tooHigh.status).toBe(403)
  })

  test('a wrong password is 401 with an error body', async () => {
    const r = await t.api('/api/auth/login', { method: 'POST', body: { username: 'admin', password: 'wrong-password' }, token: null })
    expect(r.status).toBe(401)
    expectErrorBody(r)
    expect(r.headers.getSetCookie().filter((c) => !/expires=thu, 01 jan 1970|max-age=0/i.test(c))).toEqual([])
  })

  test('an unknown user is 401', async () => {
    const r = await t.api('/api/auth/login', { method: 'POST', body: { username: 'nobody', password: 'whatever-it-is' }, token: null })
    expect(r.status).toBe(401)
    expectErrorBody(r)
  })

  test.each([
    ['a missing password', { username: 'admin' }, /password/],
    ['a missing username', { password: ADMIN_PASSWORD }, /username/],
    ['a username of the wrong type', { username: 42, password: ADMIN_PASSWORD }, /username/],
    ['a password of the wrong type', { username: 'admin', password: ['x'] }, /password/],
  ])('%s is a 400 naming the field', async (_what, body, field) => {
    const r = await t.api('/api/auth/login', { method: 'POST', body, token: null })
    expect(r.status).toBe(400)
    expectErrorBody(r)
    expect(r.body.error.message).toMatch(field)
  })

  test('a body that is not JSON is a 400 with an error body', async () => {
    const r = await t.api('/api/auth/login', { method: 'POST', body: '{"username": "admin", ', token: null })
    expect(r.status).toBe(400)
    expectErrorBody(r)
  })
})

describe('users', () => {
  test('POST /api/users creates a user who can log in with that role, answered without secrets', async () => {
    const r = await t.api('/api/users', { method: 'POST', body: { username: 'new-responder', password: 'correct-horse-battery', role: 'responder' } })
    expect(r.status).toBe(201)
    expect(r.text).not.toContain('correct-horse-battery')
    expect(JSON.stringify(Object.keys(r.body))).not.toMatch(/pass|hash|secret|salt/i)
    const login = await t.api('/api/auth/login', { method: 'POST', body: { username: 'new-responder', password: 'correct-horse-battery' }, token: null })
    expect(login.status).toBe(200)
    expect(login.body.user).toEqual({ name: 'new-responder', role: 'responder' })
  })

  test('creating a user whose name exists is 409 and keeps the first password', async () => {
    const body = { username: 'twice', password: 'first-password', role: 'viewer' }
    expect((await t.api('/api/users', { method: 'POST', body })).status).toBe(201)
    const again = await t.api('/api/users', { method: 'POST', body: { ...body, password: 'second-password', role: 'admin' } })
    expect(again.status).toBe(409)
    expectErrorBody(again)
    await expect(login(t, 'twice', 'first-password')).resolves.toEqual(expect.any(String))
    await expect(login(t, 'twice', 'second-password')).rejects.toThrow()
  })

  test.each([
    ['a missing role', { username: 'u1', password: 'long-enough-pw' }, /role/],
    ['an unknown role', { username: 'u2', password: 'long-enough-pw', role: 'superuser' }, /role/],
    ['a password of the wrong type', { username: 'u3', password: 12345678, role: 'viewer' }, /password/],
    ['a missing username', { password: 'long-enough-pw', role: 'viewer' }, /username/],
  ])('%s is a 400 naming the field', async (_what, body, field) => {
    const r = await t.api('/api/users', { method: 'POST', body })
    expect(r.status).toBe(400)
    expectErrorBody(r)
    expect(r.body.error.message).toMatch(field)
  })
})

describe('bad queries', () => {
  test.each([
    ['/api/rejects?limit=lots', /limit/],
    ['/api/alerts?state=sleeping', /state/],
    [`/api/stations/${S}/events?limit=-1`, /limit/],
    [`/api/stations/${S}/history?subject=door:main&to=someday`, /\bto\b/],
    [`/api/stations/${S}/history`, /subject/],
  ])('GET %s is a 400 naming the field', async (path, field) => {
    const r = await t.api(path)
    expect(r.status).toBe(400)
    expectErrorBody(r)
    expect(r.body.error.message).toMatch(field)
  })

  test('an unknown station is a 404 with an error body', async () => {
    const r = await t.api('/api/stations/no-such-station')
    expect(r.status).toBe(404)
    expectErrorBody(r)
  })
})

describe('/ws authentication', () => {
  const upgrade = (query: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number | 'open' }>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.svc.httpPort}/ws${query}`, { headers })
      ws.once('open', () => {
        ws.close()
        resolve({ status: 'open' })
      })
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 })
        res.resume()
        ws.terminate()
      })
      ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)))
    })

  test('an upgrade without a token is refused with 401', async () => {
    expect(await upgrade('')).toEqual({ status: 401 })
  })

  test('an upgrade with an invalid token is refused with 401', async () => {
    expect(await upgrade('?token=nope')).toEqual({ status: 401 })
  })

  test('an upgrade with the session cookie alone is accepted and gets the snapshot', async () => {
    const r = await t.api('/api/auth/login', { method: 'POST', body: { username: 'viewer-user', password: 'viewer-user-password' }, token: null })
    const cookie = r.headers.getSetCookie().find((c) => /httponly/i.test(c))!.split(';')[0]!
    const first = await new Promise<any>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.svc.httpPort}/ws`, { headers: { cookie } })
      ws.once('message', (data) => {
        resolve(JSON.parse(data.toString()))
        ws.close()
      })
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
      ws.once('error', reject)
    })
    expect(first.type).toBe('snapshot')
  })

  test('an upgrade with ?token= is accepted', async () => {
    expect(await upgrade(`?token=${encodeURIComponent(tokens.viewer!)}`)).toEqual({ status: 'open' })
  })
})
