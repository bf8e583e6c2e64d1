// MQTT over TLS on MQTTS_PORT and HTTPS on HTTP_PORT (API, dashboard, /ws, /mqtt) when certificates
// are configured; a bad certificate is a configuration error that names its variable.
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import mqtt, { type IClientOptions } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { ConfigError } from '../../../src/config/env.ts'
import { startService, type RunningService } from '../../../src/service.ts'
import { fixtureDevices } from '../../helpers/contract.ts'
import { killAllSpawned, spawnService } from '../../helpers/process.ts'
import { fixtureStation, tempDir, writeStations } from '../../helpers/station-fixture.ts'
import { eventually } from '../../helpers/service.ts'
import { captureLogger, httpsFetch, makeCert, type TestCert } from '../../helpers/tls-and-logs.ts'

const ADMIN_PASSWORD = 'tls-admin-password'
const station = fixtureStation('tlsstation')
const dev = fixtureDevices(station.id)
const stationsDir = writeStations([station])

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { HOST: '127.0.0.1', MQTT_PORT: '0', MQTTS_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-tls-data-'), STATIONS: stationsDir, ADMIN_PASSWORD, ...extra }
}

/** CONNACK return code over any URL, with extra client options (TLS). */
async function connack(url: string, opts: IClientOptions): Promise<number> {
  // A device's client id is its device id (contract v2 A2) unless the test names another.
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...(opts.username && opts.clientId === undefined ? { clientId: opts.username } : {}), ...opts })
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', (p) => resolve(p.returnCode ?? 0))
      client.once('error', (err) => (typeof (err as { code?: unknown }).code === 'number' ? resolve((err as { code: number }).code) : reject(err)))
      client.once('close', () => setTimeout(() => reject(new Error('closed without a CONNACK')), 50))
    })
  } finally {
    client.end(true)
  }
}

describe('with MQTT_TLS_* and HTTP_TLS_* set', () => {
  let cert: TestCert
  let svc: RunningService
  let logs: ReturnType<typeof captureLogger>
  let base: string
  let token: string

  beforeAll(async () => {
    cert = makeCert()
    logs = captureLogger()
    svc = await startService({
      env: baseEnv({ MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: cert.keyPath, HTTP_TLS_CERT: cert.certPath, HTTP_TLS_KEY: cert.keyPath }),
      logger: logs.logger,
    })
    base = `https://127.0.0.1:${svc.httpPort}`
    const r = await httpsFetch(`${base}/api/auth/login`, { ca: cert.ca, method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } })
    expect(r.status).toBe(200)
    token = r.body.token
  })
  afterAll(() => svc?.stop())

  test('the listening line carries mqttPort, mqttsPort and httpPort as bound, and says https', () => {
    const line = logs.lines().find((l) => l.msg === 'listening')!
    expect(line).toMatchObject({ mqttPort: svc.mqttPort, mqttsPort: svc.mqttsPort, httpPort: svc.httpPort, https: true })
    expect(svc.mqttsPort).toBeGreaterThan(0)
    expect(svc.mqttsPort).not.toBe(svc.mqttPort)
  })

  test('a device connects over mqtts:// verifying the certificate, and its reading is applied', async () => {
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${svc.mqttsPort}`, { protocolVersion: 4, clientId: dev.doorMain, username: dev.doorMain, password: station.secrets[dev.doorMain], ca: cert.ca, reconnectPeriod: 0 })
    await c.publishAsync(`stations/${station.id}/devices/${dev.doorMain}/state`, JSON.stringify({ ts: Date.now(), seq: 1, open: true }), { qos: 1 })
    await c.endAsync()
    await eventually(async () => {
      const r = await httpsFetch(`${base}/api/stations/${station.id}`, { ca: cert.ca, headers: { authorization: `Bearer ${token}` } })
      return r.body?.doors?.find((d: { id: string }) => d.id === 'main')?.open === true
    }, 5000, 'the door to show open')
  })

  test('over TLS a wrong or missing secret is still refused at CONNECT; rejectUnauthorized: false also connects', async () => {
    const url = `mqtts://127.0.0.1:${svc.mqttsPort}`
    expect(await connack(url, { username: dev.doorRoom, password: station.secrets[dev.doorRoom], rejectUnauthorized: false })).toBe(0)
    expect(await connack(url, { username: dev.doorRoom, password: 'wrong', ca: cert.ca })).toBe(4)
    expect(await connack(url, { ca: cert.ca })).toBe(5)
  })

  test('a client that does not trust the certificate is refused by its own TLS check', async () => {
    await expect(connack(`mqtts://127.0.0.1:${svc.mqttsPort}`, { username: dev.doorRoom, password: station.secrets[dev.doorRoom] })).rejects.toThrow(/self[- ]signed|certificate/i)
  })

  test('plain MQTT on MQTT_PORT still works alongside', async () => {
    expect(await connack(`mqtt://127.0.0.1:${svc.mqttPort}`, { username: dev.keybox, password: station.secrets[dev.keybox] })).toBe(0)
  })

  test('the size guard covers mqtts too: a packet declaring 256 MB is cut off at its header', async () => {
    const sock = tlsConnect({ host: '127.0.0.1', port: svc.mqttsPort!, ca: cert.ca, servername: 'localhost' })
    await new Promise((r) => sock.once('secureConnect', r))
    const closed = new Promise((r) => sock.once('close', r))
    sock.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))
    const t0 = Date.now()
    await closed
    // Without the guard aedes would wait for the body until its 10 s connect timeout.
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  test('HTTP_PORT speaks HTTPS: API, HSTS and a CSP that upgrades insecure requests', async () => {
    const r = await httpsFetch(`${base}/api/health`, { ca: cert.ca })
    expect(r.status).toBe(200)
    expect(r.body.status).toMatch(/ok|degraded/)
    expect(r.headers['strict-transport-security']).toBe('max-age=15552000')
    expect(String(r.headers['content-security-policy'])).toMatch(/(^|;)\s*upgrade-insecure-requests\s*(;|$)/)
    const page = await httpsFetch(`${base}/`, { ca: cert.ca })
    expect(page.status).toBe(200)
    expect(page.text).toContain('js/main.js')
  })

  test('plain HTTP to the HTTPS port gets no answer from the API', async () => {
    await expect(fetch(`http://127.0.0.1:${svc.httpPort}/api/health`)).rejects.toThrow()
  })

  test('over HTTPS the session cookie is Secure, HttpOnly and SameSite=Strict', async () => {
    const r = await httpsFetch(`${base}/api/auth/login`, { ca: cert.ca, method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } })
    const setCookie = r.headers['set-cookie'] as string[]
    expect(setCookie).toHaveLength(1)
    const attrs = setCookie[0]!.split(';').map((a) => a.trim().toLowerCase())
    expect(attrs).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']))
    const out = await httpsFetch(`${base}/api/auth/logout`, { ca: cert.ca, method: 'POST', headers: { cookie: setCookie[0]!.split(';')[0]! } })
    expect(out.status).toBe(204)
    expect(String(out.headers['set-cookie'])).toMatch(/Secure/)
  })

  test('wss:///ws needs a token (401 without) and then sends the snapshot', async () => {
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${svc.httpPort}/ws`, { ca: cert.ca })
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0))
      ws.once('open', () => (ws.terminate(), resolve(101)))
      ws.once('error', () => undefined)
    })
    expect(refused).toBe(401)
    const ws = new WebSocket(`wss://127.0.0.1:${svc.httpPort}/ws?token=${encodeURIComponent(token)}`, { ca: cert.ca })
    const first = await new Promise<any>((resolve, reject) => (ws.once('message', (d) => resolve(JSON.parse(d.toString()))), ws.once('error', reject)))
    expect(first.type).toBe('snapshot')
    ws.close()
  })

  test('mqtt.js over wss:///mqtt connects and publishes; without the subprotocol the upgrade is refused', async () => {
    const c = await mqtt.connectAsync(`wss://127.0.0.1:${svc.httpPort}/mqtt`, { protocolVersion: 4, clientId: dev.shelf, username: dev.shelf, password: station.secrets[dev.shelf], ca: cert.ca, reconnectPeriod: 0 })
    await c.publishAsync(`stations/${station.id}/devices/${dev.shelf}/state`, JSON.stringify({ ts: Date.now(), seq: 1, items: { water: 30 } }), { qos: 1 })
    await c.endAsync()
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`wss://127.0.0.1:${svc.httpPort}/mqtt`, { ca: cert.ca })
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0))
      ws.once('open', () => (ws.terminate(), resolve(101)))
      ws.once('error', () => undefined)
    })
    expect(status).toBe(400)
  })
})

describe('TLS configuration errors name the variable', () => {
  let cert: TestCert
  let other: TestCert
  beforeAll(() => {
    cert = makeCert()
    other = makeCert()
  })

  async function startError(env: Record<string, string>): Promise<string> {
    const logs = captureLogger()
    try {
      const svc = await startService({ env: baseEnv(env), logger: logs.logger })
      await svc.stop()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      return (err as Error).message
    }
    throw new Error('start-up did not fail')
  }

  test('a certificate without its key, or a key without its certificate', async () => {
    expect(await startError({ MQTT_TLS_CERT: cert.certPath })).toMatch(/^environment variable MQTT_TLS_KEY: must be set when MQTT_TLS_CERT is/)
    expect(await startError({ HTTP_TLS_KEY: cert.keyPath })).toMatch(/^environment variable HTTP_TLS_CERT: must be set when HTTP_TLS_KEY is/)
  })

  test('an unreadable file', async () => {
    const missing = join(cert.dir, 'missing.pem')
    expect(await startError({ MQTT_TLS_CERT: missing, MQTT_TLS_KEY: cert.keyPath })).toBe(`environment variable MQTT_TLS_CERT=${missing}: cannot read the file (ENOENT)`)
    expect(await startError({ HTTP_TLS_CERT: cert.certPath, HTTP_TLS_KEY: cert.dir })).toBe(`environment variable HTTP_TLS_KEY=${cert.dir}: cannot read the file (EISDIR)`)
  })

  test('a file that is not a certificate, or not a key', async () => {
    const junk = join(cert.dir, 'junk.pem')
    writeFileSync(junk, 'not a pem file\n')
    expect(await startError({ HTTP_TLS_CERT: junk, HTTP_TLS_KEY: cert.keyPath })).toMatch(new RegExp(`^environment variable HTTP_TLS_CERT=${junk}: not a PEM certificate`))
    expect(await startError({ MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: junk })).toMatch(new RegExp(`^environment variable MQTT_TLS_KEY=${junk}: not a PEM private key`))
    // Certificate and key swapped.
    expect(await startError({ MQTT_TLS_CERT: cert.keyPath, MQTT_TLS_KEY: cert.certPath })).toMatch(/^environment variable MQTT_TLS_CERT=.*: not a PEM certificate/)
  })

  test('a key that does not belong to the certificate', async () => {
    expect(await startError({ HTTP_TLS_CERT: cert.certPath, HTTP_TLS_KEY: other.keyPath })).toMatch(new RegExp(`^environment variable HTTP_TLS_KEY=${other.keyPath}: does not match the certificate in HTTP_TLS_CERT`))
  })

  test('MQTTS_PORT out of range, or in use', async () => {
    expect(await startError({ MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: cert.keyPath, MQTTS_PORT: '70000' })).toMatch(/^environment variable MQTTS_PORT="70000": must be 0-65535/)
    const busy: Server = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()))
    const port = (busy.address() as { port: number }).port
    try {
      expect(await startError({ MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: cert.keyPath, MQTTS_PORT: String(port) })).toMatch(new RegExp(`^MQTTS_PORT=${port}: cannot listen on 127.0.0.1:${port} \\(address already in use\\)`))
    } finally {
      busy.close()
    }
  })

  test('through the process: exit code 2 and one message naming the variable', async () => {
    const junk = join(cert.dir, 'junk-cert.pem')
    writeFileSync(junk, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n')
    const p = spawnService(baseEnv({ HTTP_TLS_CERT: junk, HTTP_TLS_KEY: cert.keyPath }))
    try {
      const { code } = await p.exited
      expect(code).toBe(2)
      expect(p.stderr.join('\n')).toMatch(new RegExp(`configuration error: environment variable HTTP_TLS_CERT=${junk}: not a PEM certificate`))
    } finally {
      killAllSpawned()
    }
  })
})
