// Secrets, passwords and tokens never appear in the log, with one intended exception: the generated
// administrator password, shown exactly once at first start (contract §1).
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { startService, type RunningService } from '../../../src/service.ts'
import { connackCode, fixtureDevices } from '../../helpers/contract.ts'
import { fixtureStation, tempDir, writeStations } from '../../helpers/station-fixture.ts'
import { captureLogger } from '../../helpers/tls-and-logs.ts'

const station = fixtureStation('logstation')
const dev = fixtureDevices(station.id)
const stationsDir = writeStations([station])
const ADMIN_PASSWORD = 'Adm1n-Pa55word-that-must-not-leak'
const USER_PASSWORD = 'Us3r-Pa55word-that-must-not-leak'
const WRONG_PASSWORD = 'Wr0ng-Pa55word-that-must-not-leak'
const WRONG_SECRET = 'wrong-device-secret-that-must-not-leak'

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-log-data-'), STATIONS: stationsDir, ...extra }
}

describe('the log at trace level during logins, refused devices and failing requests', () => {
  let svc: RunningService
  let logs: ReturnType<typeof captureLogger>
  let base: string
  const tokens: string[] = []

  beforeAll(async () => {
    logs = captureLogger()
    svc = await startService({ env: env({ ADMIN_PASSWORD }), logger: logs.logger })
    base = `http://127.0.0.1:${svc.httpPort}`
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })

    // Logins: good, wrong, throttled, malformed (the password inside broken JSON).
    const good = await (await post('/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).json()
    tokens.push(good.token)
    const admin = { authorization: `Bearer ${good.token}` }
    expect((await post('/api/users', { username: 'worker', password: USER_PASSWORD, role: 'viewer' }, admin)).status).toBe(201)
    const worker = await (await post('/api/auth/login', { username: 'worker', password: USER_PASSWORD })).json()
    tokens.push(worker.token)
    for (let i = 0; i < 7; i++) await post('/api/auth/login', { username: 'worker', password: WRONG_PASSWORD })
    await post('/api/auth/login', `{"username":"worker","password":"${WRONG_PASSWORD}"`)
    await post('/api/auth/login', { username: 'worker', password: WRONG_PASSWORD.repeat(40) })
    // Failing requests that carry credentials: bad bearer, bad cookie, token in a query, bad bodies.
    await fetch(`${base}/api/stations`, { headers: { authorization: `Bearer ${WRONG_PASSWORD}` } })
    await fetch(`${base}/api/stations`, { headers: { cookie: `sw_session=${WRONG_PASSWORD}` } })
    await fetch(`${base}/api/no-such-route?token=${good.token}`, { headers: admin })
    await post('/api/users', { username: 'x', password: USER_PASSWORD, role: 'nobody' }, admin)
    await post('/api/users', `{"password":"${USER_PASSWORD}"`, admin)
    // A /ws upgrade with a bad token, and one with the good token that sends junk.
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${svc.httpPort}/ws?token=${WRONG_PASSWORD}`)
      ws.once('error', () => resolve())
      ws.once('close', () => resolve())
    })
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${svc.httpPort}/ws?token=${worker.token}`)
      ws.once('message', () => (ws.send(`{"password":"${USER_PASSWORD}"}`), ws.send(Buffer.from(WRONG_SECRET))))
      ws.on('message', (d) => {
        if (JSON.parse(d.toString()).type === 'error') ws.close()
      })
      ws.once('close', () => resolve())
    })
    // Devices: a wrong secret over TCP and over /mqtt, and a right one that logs in.
    expect(await connackCode(`mqtt://127.0.0.1:${svc.mqttPort}`, { username: dev.doorMain, password: WRONG_SECRET })).toBe(4)
    expect(await connackCode(`ws://127.0.0.1:${svc.httpPort}/mqtt`, { username: dev.doorMain, password: WRONG_SECRET })).toBe(4)
    expect(await connackCode(`mqtt://127.0.0.1:${svc.mqttPort}`, { username: WRONG_SECRET, password: WRONG_SECRET })).toBe(4)
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${svc.mqttPort}`, { protocolVersion: 4, clientId: dev.doorMain, username: dev.doorMain, password: station.secrets[dev.doorMain], reconnectPeriod: 0 })
    await c.publishAsync(`stations/${station.id}/devices/${dev.doorMain}/state`, 'not json', { qos: 1 })
    await c.endAsync()
    await post('/api/auth/logout', {}, { authorization: `Bearer ${worker.token}` })
  })
  afterAll(() => svc?.stop())

  test('something was logged (the capture works), including the refusals', () => {
    const text = logs.text()
    expect(text).toContain('mqtt connect refused: bad credentials')
    expect(text).toContain('listening')
  })

  test('no password, device secret or session token appears anywhere in it', () => {
    const text = logs.text()
    for (const secret of [ADMIN_PASSWORD, USER_PASSWORD, WRONG_PASSWORD, WRONG_SECRET, station.secrets[dev.doorMain]!, ...tokens]) expect(text, 'a credential leaked into the log').not.toContain(secret)
  })

  test('credential fields are redacted wherever a log call puts them', () => {
    const before = logs.lines().length
    svc.log.info({ password: 'p-1', secret: 's-1', token: 't-1', authorization: 'Bearer a-1', cookie: 'c-1' }, 'top level')
    svc.log.info({ user: { password: 'p-2' }, req: { headers: { authorization: 'Bearer a-2', cookie: 'sw_session=c-2' } } }, 'nested')
    svc.log.child({ component: 'x' }).warn({ device: { auth: { secret: 's-3' } } }, 'child, two levels down')
    svc.log.error({ err: Object.assign(new Error('boom'), { body: '{"password":"p-4"}' }) }, 'error with a body')
    const lines = logs.lines().slice(before)
    expect(lines).toHaveLength(4)
    const text = JSON.stringify(lines)
    for (const v of ['p-1', 's-1', 't-1', 'a-1', 'c-1', 'p-2', 'a-2', 'c-2', 's-3', 'p-4']) expect(text).not.toContain(v)
    expect(lines[0]).toMatchObject({ password: '[redacted]', secret: '[redacted]', token: '[redacted]', authorization: '[redacted]', cookie: '[redacted]' })
    expect(lines[1]).toMatchObject({ user: { password: '[redacted]' }, req: { headers: { authorization: '[redacted]', cookie: '[redacted]' } } })
  })
})

describe('the generated administrator password', () => {
  test('is shown exactly once, in a `password` field of one line, and works; the next start does not show it', async () => {
    const dataDir = tempDir('sw-log-gen-')
    const first = captureLogger()
    let svc = await startService({ env: env({ DATA_DIR: dataDir }), logger: first.logger })
    const shown = first.lines().filter((l) => typeof l.password === 'string')
    expect(shown).toHaveLength(1)
    const password = shown[0]!.password as string
    expect(shown[0]!.msg).toMatch(/generated the administrator password/)
    expect(password.length).toBeGreaterThanOrEqual(12)
    // It appears on that line only.
    expect(first.text().split(password).length - 1).toBe(1)
    const login = await fetch(`http://127.0.0.1:${svc.httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) })
    expect(login.status).toBe(200)
    const token = ((await login.json()) as { token: string }).token
    expect(first.text()).not.toContain(token)
    await svc.stop()

    const second = captureLogger()
    svc = await startService({ env: env({ DATA_DIR: dataDir }), logger: second.logger })
    expect(second.text()).not.toContain(password)
    expect(second.lines().some((l) => 'password' in l)).toBe(false)
    await svc.stop()
  })
})
