// Helpers for the contract suites in test/contract/: they talk to the service only
// through its public surfaces (MQTT, HTTP, /ws) and build station files by contract §2.
import { createHash, randomBytes } from 'node:crypto'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { FixtureStation } from './station-fixture.ts'
import { eventually, type TestService } from './service.ts'

/** `sha256:<salt>:<hex sha256(salt + secret)>`, computed here from the contract text, not by the service's code. */
export function contractSecretHash(secret: string, salt = randomBytes(16).toString('hex')): string {
  return `sha256:${salt}:${createHash('sha256').update(salt + secret, 'utf8').digest('hex')}`
}

/** Adds a device (without secretHash) to a fixture station, giving it a fresh secret. Returns the secret. */
export function addDevice(st: FixtureStation, device: Record<string, unknown> & { id: string }): string {
  const secret = randomBytes(16).toString('hex')
  st.secrets[device.id] = secret
  ;(st.json.devices as unknown[]).push({ ...device, secretHash: contractSecretHash(secret) })
  return secret
}

/** Adds an equipment item to a fixture station (no device covers it until one is added). */
export function addItem(st: FixtureStation, item: { id: string; name: string; category: string; kind: 'professional' | 'supply'; min?: number }): void {
  ;(st.json.equipment as unknown[]).push(item)
}

/** The device ids `fixtureStation(id)` creates. */
export function fixtureDevices(station: string) {
  return { doorMain: `${station}-door-main`, doorRoom: `${station}-door-room`, keybox: `${station}-keybox`, shelf: `${station}-shelf` }
}

/**
 * Connects with arbitrary credentials and resolves with the CONNACK return code
 * (0 = accepted). The client is always closed again.
 */
export async function connackCode(url: string, opts: Pick<IClientOptions, 'username' | 'password' | 'clientId'>): Promise<number> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts })
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', (packet) => resolve(packet.returnCode ?? 0))
      client.once('error', (err) => {
        const code = (err as { code?: unknown }).code
        if (typeof code === 'number') resolve(code)
        else reject(err)
      })
      client.once('close', () => setTimeout(() => reject(new Error('connection closed without a CONNACK')), 50))
    })
  } finally {
    client.end(true)
  }
}

export function mqttUrl(t: TestService, ws = false): string {
  return ws ? `ws://127.0.0.1:${t.svc.httpPort}/mqtt` : `mqtt://127.0.0.1:${t.svc.mqttPort}`
}

export function stateTopic(station: string, device: string): string {
  return `stations/${station}/devices/${device}/state`
}

/**
 * Publishes something the broker may refuse: resolves when the PUBACK arrives, the
 * connection closes, or `ms` pass, whichever is first (never rejects).
 */
export async function publishMaybeRefused(client: MqttClient, topic: string, payload: string, ms = 1500): Promise<'acked' | 'closed' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const closed = new Promise<'closed'>((resolve) => client.once('close', () => resolve('closed')))
  const result = await Promise.race([
    client.publishAsync(topic, payload, { qos: 1 }).then(
      () => 'acked' as const,
      () => 'closed' as const,
    ),
    closed,
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms))),
  ])
  clearTimeout(timer)
  return result
}

/** `GET /api/stations/:id`, asserting 200. */
export async function stationStatus(t: TestService, station = t.station.id, token = t.token): Promise<any> {
  const r = await t.api(`/api/stations/${station}`, { token })
  if (r.status !== 200) throw new Error(`GET /api/stations/${station}: ${r.status} ${r.text}`)
  return r.body
}

export interface RejectRow { t: unknown; device: string; topic: string; reason: string }

/** `GET /api/rejects` as the admin, newest first. */
export async function listRejects(t: TestService, limit = 10_000): Promise<RejectRow[]> {
  const r = await t.api(`/api/rejects?limit=${limit}`)
  if (r.status !== 200) throw new Error(`GET /api/rejects: ${r.status} ${r.text}`)
  return r.body as RejectRow[]
}

/** Waits for a reject newer than the first `seenBefore` ones that matches `pred`. */
export async function nextReject(t: TestService, seenBefore: number, pred: (r: RejectRow) => boolean, timeoutMs = 3000): Promise<RejectRow> {
  return eventually(async () => {
    const all = await listRejects(t)
    return all.slice(0, all.length - seenBefore).find(pred)
  }, timeoutMs, 'a matching entry in /api/rejects')
}

/** A time the API gave as ms or ISO 8601, as ms. */
export function toMs(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') return /^\d+$/.test(v) ? Number(v) : Date.parse(v)
  return NaN
}

/** Parses Prometheus text: `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line)
    if (m) out.set(m[1]!, Number(m[2]))
  }
  return out
}

/** Sum of every series of `name` whose labels include all of `labels`. */
export async function metricSum(t: TestService, name: string, labels: Record<string, string> = {}): Promise<number> {
  const r = await t.api('/metrics', { token: null })
  if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`)
  let sum = 0
  for (const [series, v] of parseMetrics(r.text)) {
    const m = /^([^{]+)(?:\{(.*)\})?$/.exec(series)!
    if (m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]))
    if (Object.entries(labels).every(([k, v2]) => have[k] === v2)) sum += v
  }
  return sum
}

/** `GET /api/stations/:id/history`, asserting 200; returns the points. */
export async function historyPoints(t: TestService, subject: string, query = '', station = t.station.id): Promise<{ t: number; v: unknown }[]> {
  const r = await t.api(`/api/stations/${station}/history?subject=${encodeURIComponent(subject)}${query}`)
  if (r.status !== 200) throw new Error(`history ${subject}: ${r.status} ${r.text}`)
  return r.body.points
}

/** Readings of one device with an increasing `seq` and a `ts` that never goes back. */
export class DeviceClock {
  seq = 0
  private lastTs = 0
  next(): { ts: number; seq: number } {
    this.lastTs = Math.max(Date.now(), this.lastTs + 1)
    return { ts: this.lastTs, seq: ++this.seq }
  }
  get ts(): number {
    return this.lastTs
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
