// Shared by the hostile HTTP suites: a spawned service, raw TCP/TLS clients that speak hand-written
// bytes, descriptor counts from /proc, and the "a real device still gets its PUBACK" check.
import { readdirSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import mqtt from 'mqtt'
import { fixtureDevices } from '../helpers/contract.ts'
import { spawnService, waitListening, type ServiceProcess } from '../helpers/process.ts'
import { tempDir, writeStations, type FixtureStation } from '../helpers/station-fixture.ts'
import { sleep, within } from './hostile-helpers.ts'

export interface Spawned {
  p: ServiceProcess
  mqttPort: number
  httpPort: number
  pid: number
}

export async function spawnHostile(station: FixtureStation, env: Record<string, string> = {}): Promise<Spawned> {
  const p = spawnService({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-hostile-http-'), STATIONS: writeStations([station]), LOG_LEVEL: 'info', ...env })
  const { mqttPort, httpPort } = await waitListening(p, 20_000)
  return { p, mqttPort, httpPort, pid: p.child.pid! }
}

export function alive(s: Spawned): boolean {
  return s.p.child.exitCode === null && s.p.child.signalCode === null
}

/** Open descriptors of a process (Linux). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Waits until the process's descriptor count is at most `max`; returns the last count seen. */
export async function fdsSettleTo(pid: number, max: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs
  let n = fdCount(pid)
  while (n > max && Date.now() < end) {
    await sleep(100)
    n = fdCount(pid)
  }
  return n
}

/**
 * A real device of `station` connects (client id = its device id, as contract v2 A2 requires) and
 * publishes one QoS 1 reading: resolves when its PUBACK arrives, rejects if that takes over `ms`.
 */
export async function devicePubackWithin(s: Spawned, station: FixtureStation, ms = 1000): Promise<void> {
  const id = fixtureDevices(station.id).doorMain
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${s.mqttPort}`, { protocolVersion: 4, clientId: id, username: id, password: station.secrets[id], reconnectPeriod: 0, connectTimeout: 5000 })
  try {
    await within(client.publishAsync(`stations/${station.id}/devices/${id}/state`, JSON.stringify({ ts: Date.now(), seq: Date.now(), open: false }), { qos: 1 }), ms, 'PUBACK of a real device')
  } finally {
    await client.endAsync(true).catch(() => undefined)
  }
}

export interface RawAnswer { status: number; head: string; text: string }

/** Parses the status line of what the server sent so far (or 0). */
export function statusOf(bytes: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(bytes)
  return m ? Number(m[1]) : 0
}

/** A raw TCP client; `received()` is everything the server sent, `ended`/`closed` resolve on FIN/close. */
export function rawClient(port: number, opts: { localAddress?: string } = {}): { socket: Socket; connected: Promise<void>; received(): string; waitFor(pred: (text: string) => boolean, ms?: number): Promise<string>; ended: Promise<void>; closed: Promise<void> } {
  // allowHalfOpen: the client keeps its end open after the server's FIN, as a hostile one may.
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) })
  socket.on('error', () => undefined)
  let text = ''
  const waiters = new Set<() => void>()
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1')
    for (const w of [...waiters]) w()
  })
  const connected = new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('error', reject)))
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    socket,
    connected,
    received: () => text,
    waitFor(pred, ms = 5000) {
      if (pred(text)) return Promise.resolve(text)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`timed out after ${ms} ms; received: ${JSON.stringify(text.slice(0, 300))}`))), ms)
        const check = () => {
          if (!pred(text)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(text)
        }
        waiters.add(check)
      })
    },
    ended,
    closed,
  }
}

/** The bytes of a WebSocket upgrade request for `path`. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = { Host: '127.0.0.1', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers }
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`
}

/** A port that was free a moment ago (for a child whose port must be known before it logs it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export async function loginToken(httpPort: number, username: string, password: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${await r.text()}`)
  return ((await r.json()) as { token: string }).token
}
