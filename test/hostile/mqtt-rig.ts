// The real service in this process with its log captured (bytes and parsed lines), a well-behaved
// device that must keep getting its PUBACK within 1 s, and raw-client helpers that read the
// broker's answers packet by packet. Shared by the MQTT hostile suites of issue 12.
import { readdirSync } from 'node:fs'
import { Writable } from 'node:stream'
import mqtt, { type MqttClient } from 'mqtt'
import pino from 'pino'
import { startService, type RunningService } from '../../src/service.ts'
import { fixtureStation, tempDir, writeStations, type FixtureStation } from '../helpers/station-fixture.ts'
import { connectPacket, publishPacket, rawConnect, type RawClient } from './mqtt-bytes.ts'
import { within } from './hostile-helpers.ts'

const PASSWORD = 'mqtt-rig-admin-password'

export interface Rig {
  svc: RunningService
  st: FixtureStation
  dev: { doorMain: string; doorRoom: string; keybox: string; shelf: string }
  /** bytes the service has logged so far, and the parsed lines (the newest 20,000) */
  log: { bytes(): number; lines: Record<string, unknown>[] }
  api(path: string): Promise<any>
  metrics(): Promise<string>
  /** a well-behaved device (door-room) connected throughout */
  good: MqttClient
  /** the good device publishes a QoS 1 reading and gets its PUBACK within 1 s (throws otherwise) */
  goodPuback(): Promise<number>
  stop(): Promise<void>
}

export async function startRig(id: string, env: Record<string, string> = {}): Promise<Rig> {
  const st = fixtureStation(id)
  const dev = { doorMain: `${id}-door-main`, doorRoom: `${id}-door-room`, keybox: `${id}-keybox`, shelf: `${id}-shelf` }
  let bytes = 0
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      for (const l of chunk.toString('utf8').split('\n')) {
        if (!l) continue
        try {
          lines.push(JSON.parse(l) as Record<string, unknown>)
        } catch {
          lines.push({ raw: l.slice(0, 200) })
        }
      }
      if (lines.length > 20_000) lines.splice(0, lines.length - 20_000)
      cb()
    },
  })
  const svc = await startService({
    env: { HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir(`sw-${id}-`), STATIONS: writeStations([st]), ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info', ...env },
    logger: pino({ level: 'info' }, sink),
  })
  const base = `http://127.0.0.1:${svc.httpPort}`
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })
  const token = ((await login.json()) as { token: string }).token
  const good = await mqtt.connectAsync(`mqtt://127.0.0.1:${svc.mqttPort}`, { protocolVersion: 4, clientId: dev.doorRoom, username: dev.doorRoom, password: st.secrets[dev.doorRoom], reconnectPeriod: 0 })
  let seq = 0
  return {
    svc,
    st,
    dev,
    log: { bytes: () => bytes, lines },
    api: async (path) => (await fetch(base + path, { headers: { authorization: `Bearer ${token}` } })).json(),
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    good,
    async goodPuback() {
      if (!good.connected) throw new Error('the good device was disconnected')
      const t0 = performance.now()
      seq++
      await within(good.publishAsync(`stations/${id}/devices/${dev.doorRoom}/state`, JSON.stringify({ ts: Date.now(), seq, open: seq % 2 === 0 }), { qos: 1 }), 1000, 'the good device’s PUBACK')
      return performance.now() - t0
    },
    async stop() {
      await good.endAsync(true).catch(() => undefined)
      await svc.stop()
    },
  }
}

/** The packets a raw client received so far, as [type, body] (MQTT fixed header parsed). */
export function packetsOf(raw: RawClient): { type: number; body: Buffer }[] {
  const all = Buffer.concat(raw.received)
  const out: { type: number; body: Buffer }[] = []
  let i = 0
  while (i < all.length) {
    const type = all[i]! >> 4
    let len = 0
    let mul = 1
    let j = i + 1
    for (;;) {
      if (j >= all.length) return out
      const b = all[j++]!
      len += (b & 0x7f) * mul
      mul *= 128
      if (!(b & 0x80)) break
    }
    if (j + len > all.length) return out
    out.push({ type, body: all.subarray(j, j + len) })
    i = j + len
  }
  return out
}

export const PUBACK = 4
export const SUBACK = 9

/** A raw connection that has sent CONNECT and got CONNACK 0. */
export async function rawDevice(port: number, o: { clientId: string; username: string; password: string }): Promise<RawClient> {
  const raw = await rawConnect(port)
  raw.socket.write(connectPacket(o))
  const code = await within(raw.connack(), 5000, 'CONNACK')
  if (code !== 0) throw new Error(`CONNACK ${code}`)
  return raw
}

export function statePublish(station: string, device: string, seq: number, body: Record<string, unknown>, id = seq): Buffer {
  return publishPacket({ topic: `stations/${station}/devices/${device}/state`, payload: Buffer.from(JSON.stringify({ ts: 1_790_000_000_000 + seq, seq, ...body })), qos: 1, id: (id % 65535) + 1 })
}

/** Open descriptors of this process (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length
}
