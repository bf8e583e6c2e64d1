/**
 * The load generator, in a process of its own: raw MQTT 3.1.1 connections, one per device
 * (see mqtt-wire.ts), driven over IPC.
 *
 * - `connect`: opens every device's connection (optionally with a retained `{"online":false}`
 *   will and a retained online status), a bounded number at a time; reports the connect rate.
 * - `closed`: closed loop, QoS 1, `window` messages in flight per device (on the first `active`
 *   devices, or all); counts PUBACKs during the measured interval. A PUBACK from the service means "validated, applied and durable".
 * - `open`: open loop at `rate` messages/s across all devices (QoS 1, in flight per device
 *   bounded); reports what was achieved and the PUBACK latency.
 * - `disconnect`: a clean DISCONNECT on every connection (no wills).
 */
import type { Socket } from 'node:net'
import { serve } from './child.ts'
import { calmPayload, statePayload, statusTopic, stateTopic, type DeviceKind, type DeviceSpec } from './fleet.ts'
import { DISCONNECT, encodePublish, openConnection, PINGREQ } from './mqtt-wire.ts'
import { summarize } from './stats.ts'

interface Conn {
  dev: DeviceSpec
  socket: Socket
  topic: Buffer
  seq: number
  nextId: number
  inflight: number
  /** QoS 1 send times by packet id, for `open` */
  sentAt: Map<number, number>
  out: Buffer[]
  onAck: (id: number) => void
  closed: boolean
}

const conns: Conn[] = []
const tsBase = Date.now()
let pinger: NodeJS.Timeout | undefined

function publishState(c: Conn): void {
  c.seq++
  const id = c.nextId
  c.nextId = c.nextId === 65535 ? 1 : c.nextId + 1
  c.inflight++
  c.out.push(encodePublish(c.topic, Buffer.from(statePayload(c.dev.kind, c.seq, tsBase + c.seq)), 1, id))
}

function flush(c: Conn): void {
  if (c.out.length === 0 || c.closed) return
  c.socket.write(c.out.length === 1 ? c.out[0]! : Buffer.concat(c.out))
  c.out = []
}

/** `ports`: devices spread over several brokers (device i to ports[i % n]), e.g. a cluster's instances; else all to `port` */
async function connectAll(a: { host: string; port: number; ports?: number[]; devices: DeviceSpec[]; keepalive: number; will: boolean; status: boolean; concurrency: number; timeoutMs: number }) {
  const started = performance.now()
  const connackAt: number[] = []
  let failed = 0
  const errors: string[] = []
  let next = 0
  const worker = async () => {
    while (next < a.devices.length) {
      const k = next++
      const dev = a.devices[k]!
      const port = a.ports?.length ? a.ports[k % a.ports.length]! : a.port
      const t0 = performance.now()
      const c: Conn = { dev, socket: undefined as never, topic: Buffer.from(stateTopic(dev)), seq: 0, nextId: 1, inflight: 0, sentAt: new Map(), out: [], onAck: () => undefined, closed: false }
      try {
        c.socket = await openConnection(
          a.host,
          port,
          {
            clientId: dev.id,
            username: dev.id,
            password: dev.secret,
            keepalive: a.keepalive,
            ...(a.will ? { will: { topic: statusTopic(dev), payload: '{"online":false}', qos: 1, retain: true } } : {}),
          },
          { puback: (id) => c.onAck(id) },
          a.timeoutMs,
        )
        connackAt.push(performance.now() - t0)
        c.socket.on('close', () => (c.closed = true))
        c.socket.on('error', () => undefined)
        // Batch the replies to one read's worth of PUBACKs into one write.
        c.socket.on('data', () => setImmediate(() => flush(c)))
        conns.push(c)
      } catch (err) {
        failed++
        if (errors.length < 5) errors.push((err as Error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(a.concurrency, a.devices.length) }, worker))
  const connectSeconds = (performance.now() - started) / 1000
  let statusSeconds = 0
  if (a.status) {
    const t0 = performance.now()
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, a.timeoutMs)
            c.onAck = () => (clearTimeout(timer), (c.onAck = () => undefined), resolve())
            c.socket.write(encodePublish(Buffer.from(statusTopic(c.dev)), Buffer.from('{"online":true,"battery":87,"rssi":-61,"fw":"1.0.3","tamper":false}'), 1, 65535, true))
          }),
      ),
    )
    statusSeconds = (performance.now() - t0) / 1000
  }
  if (a.keepalive > 0) {
    // Keep idle connections alive as a device does: a PINGREQ per connection once a keepalive
    // period, spread evenly over it (10,000 devices at 60 s: 167 a second).
    clearInterval(pinger)
    let i = 0
    const perTick = Math.max(1, Math.ceil(conns.length / (a.keepalive * 10)))
    pinger = setInterval(() => {
      for (let k = 0; k < perTick && conns.length; k++) {
        const c = conns[i++ % conns.length]!
        if (!c.closed) c.socket.write(PINGREQ)
      }
    }, 100)
  }
  const h = summarize(connackAt)
  return { connected: conns.length, failed, errors, connectSeconds, connectsPerSecond: conns.length / connectSeconds, connackMs: h, statusSeconds }
}

/** `active`: only the first `active` connections publish (a window in total smaller than one per device) */
async function closedLoop(a: { window: number; warmupMs: number; durationMs: number; drainMs: number; active?: number }) {
  const active = conns.slice(0, a.active ?? conns.length)
  let phase: 'warmup' | 'measure' | 'drain' = 'warmup'
  let measured = 0
  let total = 0
  const perSecond: number[] = []
  let secondCount = 0
  for (const c of active) {
    c.onAck = () => {
      c.inflight--
      total++
      if (phase === 'measure') (measured++, secondCount++)
      if (phase !== 'drain' && !c.closed) publishState(c)
    }
  }
  for (const c of active) {
    for (let k = 0; k < a.window; k++) publishState(c)
    flush(c)
  }
  await new Promise((r) => setTimeout(r, a.warmupMs))
  phase = 'measure'
  const t0 = performance.now()
  const ticker = setInterval(() => (perSecond.push(secondCount), (secondCount = 0)), 1000)
  await new Promise((r) => setTimeout(r, a.durationMs))
  const seconds = (performance.now() - t0) / 1000
  clearInterval(ticker)
  phase = 'drain'
  const end = Date.now() + a.drainMs
  while (conns.some((c) => c.inflight > 0 && !c.closed) && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  const stuck = conns.reduce((n, c) => n + c.inflight, 0)
  for (const c of conns) (c.onAck = () => undefined), (c.inflight = 0)
  return { acked: measured, seconds, perSecond: measured / seconds, timeline: perSecond, totalAcked: total, stuckInflight: stuck, closedConnections: conns.filter((c) => c.closed).length }
}

async function openLoop(a: { rate: number; durationMs: number; maxInflightPerDevice: number; drainMs: number }) {
  let sent = 0
  let acked = 0
  let skipped = 0
  const lat: number[] = []
  const ackedByKind: Record<DeviceKind, number> = { door: 0, keybox: 0, shelf: 0 }
  for (const c of conns) {
    c.sentAt.clear()
    c.onAck = (id) => {
      c.inflight--
      acked++
      ackedByKind[c.dev.kind]++
      const t = c.sentAt.get(id)
      if (t !== undefined) (lat.push(performance.now() - t), c.sentAt.delete(id))
    }
  }
  const t0 = performance.now()
  let rr = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      const elapsed = now - t0
      if (elapsed >= a.durationMs) return resolve()
      let due = Math.floor((a.rate * elapsed) / 1000) - sent - skipped
      const touched = new Set<Conn>()
      while (due-- > 0) {
        const c = conns[rr++ % conns.length]!
        if (c.closed || c.inflight >= a.maxInflightPerDevice) {
          skipped++
          continue
        }
        const id = c.nextId
        publishState(c)
        c.sentAt.set(id, now)
        sent++
        touched.add(c)
      }
      for (const c of touched) flush(c)
      setTimeout(tick, 1)
    }
    tick()
  })
  const seconds = (performance.now() - t0) / 1000
  const end = Date.now() + a.drainMs
  while (conns.some((c) => c.inflight > 0 && !c.closed) && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  for (const c of conns) (c.onAck = () => undefined), (c.inflight = 0)
  return { offered: a.rate, sent, acked, ackedByKind, skipped, seconds, achievedPerSecond: sent / seconds, pubackMs: summarize(lat) }
}

/** One calm state message from every device (see calmPayload), QoS 1; resolves when all are acknowledged. */
async function calm(a: { timeoutMs: number; concurrency: number }) {
  const t0 = performance.now()
  let next = 0
  let acked = 0
  const worker = async () => {
    while (next < conns.length) {
      const c = conns[next++]!
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, a.timeoutMs)
        c.onAck = () => (clearTimeout(timer), acked++, (c.onAck = () => undefined), resolve())
        c.seq++
        c.socket.write(encodePublish(c.topic, Buffer.from(calmPayload(c.dev.kind, c.seq, tsBase + c.seq)), 1, 65534))
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(a.concurrency, conns.length) }, worker))
  return { acked, seconds: (performance.now() - t0) / 1000 }
}

async function disconnectAll() {
  clearInterval(pinger)
  await Promise.all(
    conns.splice(0).map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.closed) return resolve()
          const timer = setTimeout(() => (c.socket.destroy(), resolve()), 5000)
          c.socket.once('close', () => (clearTimeout(timer), resolve()))
          c.socket.end(DISCONNECT)
        }),
    ),
  )
  return { ok: true }
}

serve({
  connect: connectAll,
  closed: closedLoop,
  open: openLoop,
  calm,
  disconnect: disconnectAll,
  async stop() {
    await disconnectAll()
    setImmediate(() => process.exit(0))
  },
})
