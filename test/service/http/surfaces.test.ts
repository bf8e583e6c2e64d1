// Security headers on HTTP answers, and what /ws and /mqtt accept as an upgrade.
import { readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { connackCode, fixtureDevices } from '../../helpers/contract.ts'
import { startTestService, type TestService } from '../../helpers/service.ts'

const WEB = fileURLToPath(new URL('../../../dashboards/web/', import.meta.url))

let t: TestService
beforeAll(async () => {
  t = await startTestService()
})
afterAll(() => t?.stop())

/** The CSP's directives as a map of name → sources. */
function csp(header: string | null): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const d of (header ?? '').split(';')) {
    const [name, ...sources] = d.trim().split(/\s+/)
    if (name) m.set(name, sources)
  }
  return m
}

describe('security headers (helmet)', () => {
  test.each(['/', '/index.html', '/js/main.js', '/vendor/uplot/uPlot.iife.min.js', '/api/health', '/api/stations', '/api/no-such-route'])('%s carries the CSP and the other security headers', async (path) => {
    const r = await fetch(t.base + path, { headers: path === '/api/stations' ? { authorization: `Bearer ${t.token}` } : {} })
    const h = r.headers
    const policy = csp(h.get('content-security-policy'))
    expect(policy.get('default-src')).toEqual(["'self'"])
    expect(policy.get('script-src')).toEqual(["'self'"])
    expect(policy.get('script-src-attr')).toEqual(["'none'"])
    expect(policy.get('style-src')).toEqual(["'self'"])
    expect(policy.get('connect-src')).toEqual(["'self'"])
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    expect(policy.get('img-src')).toEqual(["'self'", 'data:'])
    // Over plain HTTP nothing is upgraded or pinned to HTTPS (a LAN station without a certificate).
    expect(policy.has('upgrade-insecure-requests')).toBe(false)
    expect(h.get('strict-transport-security')).toBeNull()
    expect(h.get('x-content-type-options')).toBe('nosniff')
    expect(h.get('x-frame-options')).toBe('DENY')
    expect(h.get('referrer-policy')).toBe('no-referrer')
    expect(h.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(h.get('cross-origin-resource-policy')).toBe('same-origin')
    expect(h.get('x-powered-by')).toBeNull()
    await r.arrayBuffer()
  })

  test('a page that does not exist is a 404 under a stricter policy still (default-src none)', async () => {
    const r = await fetch(t.base + '/no-such-page')
    expect(r.status).toBe(404)
    expect(csp(r.headers.get('content-security-policy')).get('default-src')).toEqual(["'none'"])
    expect(r.headers.get('x-content-type-options')).toBe('nosniff')
    expect(r.headers.get('x-frame-options')).toBe('DENY')
    await r.arrayBuffer()
  })

  test('API answers are never cached', async () => {
    for (const path of ['/api/health', '/api/stations', '/api/nothing-here']) {
      const r = await t.api(path)
      expect(r.headers.get('cache-control'), path).toBe('no-store')
    }
    const login = await t.api('/api/auth/login', { method: 'POST', body: { username: 'admin', password: 'admin-test-password' }, token: null })
    expect(login.headers.get('cache-control')).toBe('no-store')
  })

  test('the dashboard needs nothing the CSP forbids: no inline scripts, styles, handlers or eval', () => {
    const html = readFileSync(WEB + 'index.html', 'utf8')
    // Every <script> has a same-origin src; no <style> element, no style="" or on…="" attribute.
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      expect(m[1]).toMatch(/\bsrc="(?!https?:|\/\/)[^"]+"/)
      expect(m[2]!.trim()).toBe('')
    }
    expect(html).not.toMatch(/<style\b/i)
    expect(html).not.toMatch(/\sstyle\s*=/i)
    expect(html).not.toMatch(/\son[a-z]+\s*=/i)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i)
    const js = readdirSync(WEB + 'js').map((f) => readFileSync(`${WEB}js/${f}`, 'utf8'))
    for (const src of js) {
      expect(src).not.toMatch(/\beval\s*\(|new Function\s*\(|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/)
      expect(src).not.toMatch(/setAttribute\(\s*['"]style['"]|\bstyle:\s|createElement\(\s*['"]style['"]/)
      expect(src).not.toMatch(/['"`]https?:\/\//)
    }
  })
})

describe('/ws upgrades', () => {
  function upgrade(path: string, headers: Record<string, string> = {}, protocols?: string[]): Promise<{ status: number; body: string }> {
    const ws = new WebSocket(`ws://127.0.0.1:${t.svc.httpPort}${path}`, protocols ?? [], { headers })
    return new Promise((resolve) => {
      ws.once('open', () => (ws.terminate(), resolve({ status: 101, body: '' })))
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      ws.once('error', () => undefined)
    })
  }

  test('/ws without a token, with a bad token or a bad cookie is refused with 401 before upgrading', async () => {
    for (const [path, headers] of [
      ['/ws', {}],
      ['/ws?token=nope', {}],
      ['/ws', { authorization: 'Bearer nope' }],
      ['/ws', { cookie: 'sw_session=nope' }],
    ] as const) {
      const r = await upgrade(path, headers)
      expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(401)
      expect(JSON.parse(r.body).error.code).toBe('UNAUTHENTICATED')
    }
    expect((await upgrade(`/ws?token=${t.token}`)).status).toBe(101)
  })

  test('an upgrade to any other path is 404', async () => {
    expect((await upgrade('/wss', {}, ['mqtt'])).status).toBe(404)
  })

  test('/mqtt refuses a WebSocket upgrade that does not offer the mqtt subprotocol (400)', async () => {
    const none = await upgrade('/mqtt')
    expect(none.status).toBe(400)
    expect(JSON.parse(none.body).error.message).toMatch(/subprotocol/)
    expect((await upgrade('/mqtt', {}, ['chat'])).status).toBe(400)
    expect((await upgrade('/mqtt', {}, ['chat', 'mqtt'])).status).toBe(101)
  })

  test('mqtt.js over /mqtt still works, and its CONNECT must carry a device’s credentials', async () => {
    const dev = fixtureDevices(t.station.id)
    const url = `ws://127.0.0.1:${t.svc.httpPort}/mqtt`
    expect(await connackCode(url, { clientId: dev.doorMain, username: dev.doorMain, password: t.station.secrets[dev.doorMain]! })).toBe(0)
    expect(await connackCode(url, { username: dev.doorMain, password: 'wrong' })).toBe(4)
    expect(await connackCode(url, {})).toBe(5)
    const c = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: dev.doorMain, username: dev.doorMain, password: t.station.secrets[dev.doorMain], reconnectPeriod: 0 })
    await c.publishAsync(`stations/${t.station.id}/devices/${dev.doorMain}/state`, JSON.stringify({ ts: Date.now(), seq: 1, open: false }), { qos: 1 })
    await c.endAsync()
  })

  test('raw bytes that are not an MQTT CONNECT are refused on /mqtt after the upgrade', async () => {
    // A browser-style client that offers "mqtt" but then sends a PUBLISH without CONNECT is cut off.
    const ws = new WebSocket(`ws://127.0.0.1:${t.svc.httpPort}/mqtt`, ['mqtt'])
    await new Promise((r) => ws.once('open', r))
    const closed = new Promise((r) => ws.once('close', r))
    ws.send(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]))
    await closed
  })
})

describe('plain MQTT', () => {
  test('a CONNECT without credentials is refused', async () => {
    expect(await connackCode(`mqtt://127.0.0.1:${t.svc.mqttPort}`, {})).toBe(5)
  })

  test('a TCP client that sends garbage instead of CONNECT is disconnected', async () => {
    const sock = connect(t.svc.mqttPort, '127.0.0.1')
    await new Promise((r) => sock.once('connect', r))
    const closed = new Promise((r) => sock.once('close', r))
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await closed
  })
})
