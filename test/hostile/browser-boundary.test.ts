// Issue 12 items 9, 12, 13 and 14 (contract v2 A4–A6): what a page on another origin can make a
// logged-in browser do, what a stranger's wrong passwords can do to the rightful user, what a CSV
// cell can make a spreadsheet do, and how many sessions a login flood can make. Raw HTTP requests
// with hand-set headers and source addresses against the real service.
import Database from 'better-sqlite3'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ADMIN_PASSWORD, eventually, openLive, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { within } from './hostile-helpers.ts'
import { rawClient, statusOf, upgradeRequest } from './raw-http.ts'

const S = 'xorg'
let t: TestService
let cookie: string

beforeAll(async () => {
  t = await startTestService({ stations: [fixtureStation(S)], env: { LOGIN_MAX_SUCCESSES_PER_ADDRESS: '8' } })
  const r = await send({ method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })
  expect(r.status).toBe(200)
  cookie = String(r.headers['set-cookie']).split(';')[0]!
}, 30_000)
afterAll(() => t?.stop())

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any }

/** One request exactly as given (Origin and all), optionally from another loopback address. */
function send(o: { method: string; path: string; headers?: Record<string, string>; body?: string; from?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...o.headers, ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}) }
    const req = request({ host: '127.0.0.1', port: t.svc.httpPort, method: o.method, path: o.path, headers, agent: false, ...(o.from ? { localAddress: o.from } : {}) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body })
      })
    })
    req.on('error', reject)
    if (o.body !== undefined) req.write(o.body)
    req.end()
  })
}

const own = () => `http://127.0.0.1:${t.svc.httpPort}`
const foreign = () => `http://127.0.0.1:${t.svc.httpPort + 1}`

describe('cookie-authenticated requests from another origin (A4)', () => {
  test('a cookie POST with a foreign Origin is refused with 403 and changes nothing', async () => {
    const r = await send({ method: 'POST', path: `/api/stations/${S}/incidents`, headers: { cookie, origin: foreign(), 'content-type': 'application/json' }, body: '{"note":"csrf"}' })
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('FORBIDDEN')
    expect(r.body.error.message).toMatch(/Origin/)
    const events = await t.api(`/api/stations/${S}/events?kind=incident-opened`)
    expect(events.body).toEqual([])
  })

  test('a cookie POST as text/plain (what a form or no-cors fetch can send) is refused with 415 naming the header', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const r = await send({ method: 'POST', path: `/api/stations/${S}/incidents`, headers: { cookie, ...(type ? { 'content-type': type } : {}) }, body: '{"note":"csrf"}' })
      expect(r.status, String(type)).toBe(415)
      expect(r.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
      expect(r.body.error.message).toMatch(/^Content-Type/)
    }
    expect((await t.api(`/api/stations/${S}/events?kind=incident-opened`)).body).toEqual([])
  })

  test('a cookie POST from the service’s own origin (or without Origin) as JSON works', async () => {
    const r = await send({ method: 'POST', path: `/api/stations/${S}/incidents`, headers: { cookie, origin: own(), 'content-type': 'application/json; charset=utf-8' }, body: '{"note":"own page"}' })
    expect(r.status).toBe(201)
    const closed = await send({ method: 'POST', path: `/api/incidents/${r.body.id}/close`, headers: { cookie, 'content-type': 'application/json' }, body: '{}' })
    expect(closed.status).toBe(200)
  })

  test('behind a reverse proxy, the public origin in X-Forwarded-Host/-Proto is the own origin', async () => {
    const proxied = { cookie, origin: 'https://station.example.cn', 'x-forwarded-host': 'station.example.cn', 'x-forwarded-proto': 'https', 'content-type': 'application/json' }
    const r = await send({ method: 'POST', path: `/api/stations/${S}/incidents`, headers: proxied, body: '{}' })
    expect(r.status).toBe(201)
    expect((await t.api(`/api/incidents/${r.body.id}/close`, { method: 'POST', body: {} })).status).toBe(200)
    const other = await send({ method: 'POST', path: `/api/stations/${S}/incidents`, headers: { ...proxied, origin: 'https://evil.example.cn' }, body: '{}' })
    expect(other.status).toBe(403)
  })

  test('bearer-token requests are unaffected by Origin and Content-Type', async () => {
    const r = await send({ method: 'POST', path: `/api/stations/${S}/incidents`, headers: { authorization: `Bearer ${t.token}`, origin: foreign(), 'content-type': 'text/plain' }, body: 'x' })
    expect(r.status).toBe(201)
    const closed = await send({ method: 'POST', path: `/api/incidents/${r.body.id}/close`, headers: { authorization: `Bearer ${t.token}`, origin: 'null' } })
    expect(closed.status).toBe(200)
  })

  test('GETs with the cookie from another origin are not refused (reads are guarded by CORS, not this)', async () => {
    const r = await send({ method: 'GET', path: '/api/auth/me', headers: { cookie, origin: foreign() } })
    expect(r.status).toBe(200)
  })

  test('/ws with the cookie and a foreign Origin is refused with 403 and closed; own Origin and ?token= are accepted', async () => {
    const upgrade = async (path: string, headers: Record<string, string>) => {
      const c = rawClient(t.svc.httpPort)
      await c.connected
      c.socket.write(upgradeRequest(path, { Host: `127.0.0.1:${t.svc.httpPort}`, ...headers }))
      const text = await c.waitFor((x) => x.includes('\r\n\r\n'))
      const status = statusOf(text)
      if (status !== 101) await c.ended
      c.socket.destroy()
      return status
    }
    expect(await upgrade('/ws', { Cookie: cookie, Origin: foreign() })).toBe(403)
    expect(await upgrade('/ws', { Cookie: cookie, Origin: 'null' })).toBe(403)
    expect(await upgrade('/ws', { Cookie: cookie, Origin: own() })).toBe(101)
    expect(await upgrade('/ws', { Cookie: cookie })).toBe(101)
    // A token in the URL is not sent by a browser on its own: the page had to know it.
    expect(await upgrade(`/ws?token=${t.token}`, { Origin: foreign() })).toBe(101)
  })
})

describe('login limits (A5, item 14)', () => {
  test('5 wrong admin passwords from one address do not lock the admin out from another address', async () => {
    const login = (password: string, from: string) => send({ method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }), from })
    for (let i = 0; i < 5; i++) expect((await login(`wrong-${i}`, '127.0.0.9')).status).toBe(401)
    expect((await login(ADMIN_PASSWORD, '127.0.0.9')).status).toBe(429)
    expect((await login(ADMIN_PASSWORD, '127.0.0.10')).status).toBe(200)
  })

  test('successful logins are bounded per address (LOGIN_MAX_SUCCESSES_PER_ADDRESS=8 here)', async () => {
    const login = (from: string) => send({ method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }), from })
    for (let i = 0; i < 8; i++) expect((await login('127.0.0.11')).status).toBe(200)
    const refused = await login('127.0.0.11')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect((await login('127.0.0.12')).status).toBe(200)
  })
})

describe('CSV export (A6)', () => {
  test('cells starting with a tab or a carriage return are prefixed with a quote, like = + - @', async () => {
    const notes = ['\t=1+1', '\r@SUM(A1)', '=HYPERLINK("x")', '-2+3', '+1', 'plain']
    for (const note of notes) {
      const r = await t.api(`/api/stations/${S}/incidents`, { method: 'POST', body: { note } })
      expect(r.status).toBe(201)
      expect((await t.api(`/api/incidents/${r.body.id}/close`, { method: 'POST', body: {} })).status).toBe(200)
    }
    const csv = await eventually(async () => {
      const r = await t.api(`/api/stations/${S}/events?format=csv&kind=incident-opened&limit=1000`)
      return ['=1+1', '@SUM(A1)', 'HYPERLINK', '-2+3', ',plain,'].every((n) => r.text.includes(n)) ? r.text : undefined
    }, 5000, 'the incident events in the CSV')
    expect(csv).toContain(`,'\t=1+1,`)
    expect(csv).toContain(`,"'\r@SUM(A1)",`)
    expect(csv).toContain(`,"'=HYPERLINK(""x"")",`)
    expect(csv).toContain(`,'-2+3,`)
    expect(csv).toContain(`,'+1,`)
    expect(csv).toContain(',plain,')
    expect(csv).not.toMatch(/,\t=/)
    expect(csv).not.toMatch(/,"\r@/)
  })
})

describe('sessions (item 14)', () => {
  test('expired sessions are deleted by an indexed statement, and a user holds at most 50 sessions (oldest dropped, its /ws closed)', async () => {
    const s = await startTestService({ stations: [fixtureStation('sess')] })
    try {
      const tokens: string[] = [s.token]
      const live = await openLive(s, s.token)
      const liveClosed = new Promise<number>((resolve) => live.ws.once('close', (code) => resolve(code)))
      for (let i = 0; i < 50; i++) {
        const r = await s.api('/api/auth/login', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD }, token: null })
        expect(r.status).toBe(200)
        tokens.push(r.body.token)
      }
      // 51 logins: the first session is gone, the newest 50 work.
      expect((await s.api('/api/auth/me', { token: tokens[0]! })).status).toBe(401)
      // ... and its /ws connection was closed with it.
      expect(await within(liveClosed, 2000, 'the dropped session’s /ws to close')).toBe(1008)
      for (const tk of [tokens[1]!, tokens[25]!, tokens[50]!]) expect((await s.api('/api/auth/me', { token: tk })).status).toBe(200)
      const metrics = await fetch(`${s.base}/metrics`).then((r) => r.text())
      expect(metrics).toMatch(/^stationwatch_sessions_dropped_total 1$/m)
      const db = new Database(join(s.dataDir, 'stationwatch.db'), { readonly: true })
      try {
        expect(db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 50 })
        const plan = db.prepare('EXPLAIN QUERY PLAN DELETE FROM sessions WHERE expires_at <= ?').all(Date.now()) as { detail: string }[]
        expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX sessions_expires_at/)
      } finally {
        db.close()
      }
    } finally {
      await s.stop()
    }
  }, 60_000)
})
