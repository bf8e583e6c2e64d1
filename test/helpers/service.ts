import mqtt, { type MqttClient } from 'mqtt'
import pino, { type Logger } from 'pino'
import { WebSocket } from 'ws'
import type { Clock, Timers } from '../../src/ports.ts'
import { startService, type RunningService } from '../../src/service.ts'
import { fixtureStation, tempDir, writeStations, type FixtureStation } from './station-fixture.ts'

export const ADMIN_PASSWORD = 'admin-test-password'

export interface TestService {
  svc: RunningService
  station: FixtureStation
  stations: FixtureStation[]
  dataDir: string
  stationsDir: string
  base: string
  /** the admin's token */
  token: string
  api(path: string, init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers; text: string }>
  device(id: string, opts?: { ws?: boolean; secret?: string; will?: boolean; clientId?: string }): Promise<MqttClient>
  restart(): Promise<void>
  stop(): Promise<void>
}

/** A real service on ports 0 with its own data dir and station files. */
export async function startTestService(opts: { stations?: FixtureStation[]; dataDir?: string; env?: Record<string, string>; clock?: Clock; timers?: Timers; logger?: Logger } = {}): Promise<TestService> {
  const stations = opts.stations ?? [fixtureStation()]
  const stationsDir = writeStations(stations)
  const dataDir = opts.dataDir ?? tempDir('sw-data-')
  const env = { HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: dataDir, STATIONS: stationsDir, ADMIN_PASSWORD, LOG_LEVEL: 'silent', ...opts.env }
  const clients: MqttClient[] = []
  const boot = () => startService({ env, logger: opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.timers ? { timers: opts.timers } : {}) })
  let svc = await boot()

  const t: TestService = {
    svc,
    station: stations[0]!,
    stations,
    dataDir,
    stationsDir,
    get base() {
      return `http://127.0.0.1:${svc.httpPort}`
    },
    token: '',
    async api(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers }
      const token = init.token === undefined ? t.token : init.token
      if (token) headers.authorization = `Bearer ${token}`
      if (init.body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(t.base + path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) })
      const text = await res.text()
      let body: unknown = undefined
      try {
        body = JSON.parse(text)
      } catch {
        body = undefined
      }
      return { status: res.status, body, headers: res.headers, text }
    },
    async device(id, o = {}) {
      const st = stations.find((s) => id in s.secrets) ?? stations[0]!
      const url = o.ws ? `ws://127.0.0.1:${svc.httpPort}/mqtt` : `mqtt://127.0.0.1:${svc.mqttPort}`
      const client = await mqtt.connectAsync(url, {
        protocolVersion: 4,
        clientId: o.clientId ?? id,
        username: id,
        password: o.secret ?? st.secrets[id],
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...(o.will ? { will: { topic: `stations/${st.id}/devices/${id}/status`, payload: Buffer.from('{"online":false}'), qos: 1 as const, retain: true } } : {}),
      })
      clients.push(client)
      return client
    },
    async restart() {
      await closeClients(clients)
      await svc.stop()
      svc = await boot()
      t.svc = svc
      t.token = await login(t, 'admin', ADMIN_PASSWORD)
    },
    async stop() {
      await closeClients(clients)
      await svc.stop()
    },
  }
  t.token = await login(t, 'admin', ADMIN_PASSWORD)
  return t
}

async function closeClients(clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)))
}

export async function login(t: TestService, username: string, password: string): Promise<string> {
  const r = await t.api('/api/auth/login', { method: 'POST', body: { username, password }, token: null })
  if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${r.text}`)
  return r.body.token as string
}

export async function createUser(t: TestService, username: string, role: string): Promise<string> {
  const password = `${username}-password`
  const r = await t.api('/api/users', { method: 'POST', body: { username, password, role } })
  if (r.status !== 201) throw new Error(`create user failed: ${r.status} ${r.text}`)
  return login(t, username, password)
}

/** Publishes a state and waits for the broker's PUBACK. */
export async function publishState(client: MqttClient, station: string, device: string, body: unknown): Promise<void> {
  await client.publishAsync(`stations/${station}/devices/${device}/state`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 })
}

export async function publishStatus(client: MqttClient, station: string, device: string, body: unknown): Promise<void> {
  await client.publishAsync(`stations/${station}/devices/${device}/status`, JSON.stringify(body), { qos: 1, retain: true })
}

export { eventually } from './wait.ts'

/** A /ws client that records every message. */
export async function openLive(t: TestService, token: string = t.token): Promise<{ ws: WebSocket; messages: any[]; next(pred: (m: any) => boolean, timeoutMs?: number): Promise<any>; close(): void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.svc.httpPort}/ws?token=${encodeURIComponent(token)}`)
  const messages: any[] = []
  const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = []
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString())
    messages.push(m)
    for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m))
  })
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
  return {
    ws,
    messages,
    next(pred, timeoutMs = 5000) {
      const seen = messages.find(pred)
      if (seen) {
        messages.splice(messages.indexOf(seen), 1)
        return Promise.resolve(seen)
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a /ws message')), timeoutMs)
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), messages.splice(messages.indexOf(m), 1), resolve(m)) })
      })
    },
    close: () => ws.close(),
  }
}
