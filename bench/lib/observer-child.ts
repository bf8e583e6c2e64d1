/**
 * The receiving side, in a process of its own: `/ws` dashboard clients (counting what they are
 * pushed), a plain MQTT subscriber for the bare-broker baseline, and the latency probe.
 *
 * The /ws clients parse only what concerns the probe station (found by the frame's prefix),
 * so ten of them cost little even when the service pushes thousands of statuses a second.
 */
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { serve } from './child.ts'
import type { DeviceSpec } from './fleet.ts'
import { encodePuback, encodePublish, encodeSubscribe, openConnection } from './mqtt-wire.ts'
import { sleep, summarize } from './stats.ts'

interface WsClient { ws: WebSocket; messages: number; bytes: number; station: number; alert: number; waiters: Set<(m: any) => void> }

const clients: WsClient[] = []
let token = ''
let httpBase = ''
const sub = { messages: 0, bytes: 0, socket: undefined as Socket | undefined }

const STATION_PREFIX = '{"type":"station","station":{"id":"probe"'

async function wsOpen(a: { httpPort: number; clients: number; password: string }) {
  httpBase = `http://127.0.0.1:${a.httpPort}`
  const r = await fetch(`${httpBase}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: a.password }) })
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${await r.text()}`)
  token = ((await r.json()) as { token: string }).token
  for (let i = 0; i < a.clients; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${a.httpPort}/ws?token=${encodeURIComponent(token)}`)
    const c: WsClient = { ws, messages: 0, bytes: 0, station: 0, alert: 0, waiters: new Set() }
    ws.on('message', (data: Buffer) => {
      c.messages++
      c.bytes += data.length
      // {"type":"station",… or {"type":"alert",…: the 9th character tells them apart.
      const kind = data[9]
      if (kind === 0x73 /* s */) {
        c.station++
        if (c.waiters.size && data.length > STATION_PREFIX.length && data.toString('latin1', 0, STATION_PREFIX.length) === STATION_PREFIX) dispatch(c, JSON.parse(data.toString('utf8')))
      } else if (kind === 0x61 /* a */) {
        c.alert++
        if (c.waiters.size) {
          const m = JSON.parse(data.toString('utf8'))
          if (m.alert?.station === 'probe') dispatch(c, m)
        }
      }
    })
    ws.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
    clients.push(c)
  }
  return { clients: clients.length }
}

function dispatch(c: WsClient, m: unknown): void {
  for (const w of [...c.waiters]) w(m)
}

function wsCounts(a: { reset?: boolean }) {
  const out = {
    clients: clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length,
    messages: clients.reduce((n, c) => n + c.messages, 0),
    bytes: clients.reduce((n, c) => n + c.bytes, 0),
    station: clients.reduce((n, c) => n + c.station, 0),
    alert: clients.reduce((n, c) => n + c.alert, 0),
  }
  if (a.reset) for (const c of clients) (c.messages = 0), (c.bytes = 0), (c.station = 0), (c.alert = 0)
  return out
}

async function subscribe(a: { port: number; topic: string; qos: 0 | 1 }) {
  const socket: Socket = await openConnection('127.0.0.1', a.port, { clientId: 'bench-subscriber', keepalive: 0 }, {
    publish: (_topic, payload, qos, id) => {
      sub.messages++
      sub.bytes += payload.length
      if (qos === 1) socket.write(encodePuback(id))
    },
  })
  sub.socket = socket
  await new Promise<void>((resolve) => {
    socket.once('data', () => resolve())
    socket.write(encodeSubscribe(1, a.topic, a.qos))
  })
  return { ok: true }
}

function subCounts(a: { reset?: boolean }) {
  const out = { messages: sub.messages, bytes: sub.bytes }
  if (a.reset) (sub.messages = 0), (sub.bytes = 0)
  return out
}

/**
 * Publish → /ws latency on the probe station: open its main door (every key is in the box, so
 * this is a door-forced alert), wait until every client has the `alert` and a `station` showing
 * the door open, resolve the alert over HTTP, close the door, wait for the `station` showing it
 * closed. Each /ws client's arrival is one sample.
 */
async function probe(a: { port: number; door: DeviceSpec; durationMs: number; intervalMs: number; timeoutMs: number }) {
  const acks = new Map<number, () => void>()
  const socket = await openConnection('127.0.0.1', a.port, { clientId: a.door.id, username: a.door.id, password: a.door.secret, keepalive: 60 }, { puback: (id) => acks.get(id)?.() })
  const topic = Buffer.from(`stations/${a.door.station}/devices/${a.door.id}/state`)
  const station: number[] = []
  const alert: number[] = []
  let timeouts = 0
  let resolveRetries = 0
  let resolveFailures = 0
  let seq = 0
  let cycles = 0
  const publish = (open: boolean) => {
    seq++
    const id = (seq % 65535) + 1
    socket.write(encodePublish(topic, Buffer.from(`{"ts":${Date.now()},"seq":${seq},"open":${open}}`), 1, id))
  }
  /** every client's first message that satisfies pred, as ms after t0 */
  const await_ = (t0: number, pred: (m: any) => boolean, into: number[]): Promise<any> =>
    Promise.all(
      clients.map(
        (c) =>
          new Promise<any>((resolve) => {
            const waiter = (m: any) => {
              if (!pred(m)) return
              into.push(performance.now() - t0)
              clearTimeout(timer)
              c.waiters.delete(waiter)
              resolve(m)
            }
            const timer = setTimeout(() => {
              timeouts++
              c.waiters.delete(waiter)
              resolve(undefined)
            }, a.timeoutMs)
            c.waiters.add(waiter)
          }),
      ),
    )
  const doorOpen = (open: boolean) => (m: any) => m.type === 'station' && m.station.doors.find((d: any) => d.id === 'main')?.open === open
  const seen = new Set<string>()
  const end = performance.now() + a.durationMs
  while (performance.now() < end) {
    const cycleStart = performance.now()
    cycles++
    // Open: wait for the alert and the station status on every client.
    let t0 = performance.now()
    const gotAlert = await_(t0, (m) => m.type === 'alert' && m.alert.rule === 'door-forced' && m.alert.state === 'active' && !seen.has(m.alert.id), alert)
    const gotOpen = await_(t0, doorOpen(true), station)
    publish(true)
    const [alerts] = await Promise.all([gotAlert, gotOpen])
    const id = (alerts as any[]).find((m) => m)?.alert.id as string | undefined
    if (id) {
      seen.add(id)
      // In a cluster the alert may reach this instance's /ws before the instance can resolve it
      // (404 ALERT_UNKNOWN): try again until it can, and count the tries.
      const until = performance.now() + a.timeoutMs
      for (;;) {
        const r = await fetch(`${httpBase}/api/alerts/${id}/resolve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })
        await r.text()
        if (r.status === 200) break
        if (performance.now() > until) {
          resolveFailures++
          break
        }
        resolveRetries++
        await sleep(10)
      }
    }
    // Close: wait for the station status.
    t0 = performance.now()
    const gotClosed = await_(t0, doorOpen(false), station)
    publish(false)
    await gotClosed
    const rest = a.intervalMs - (performance.now() - cycleStart)
    if (rest > 0) await sleep(rest)
  }
  socket.end()
  return { cycles, timeouts, resolveRetries, resolveFailures, station: summarize(station), alert: summarize(alert) }
}

serve({
  wsOpen,
  wsCounts,
  subscribe,
  subCounts,
  probe,
  async stop() {
    for (const c of clients) c.ws.terminate()
    sub.socket?.destroy()
    setImmediate(() => process.exit(0))
  },
})
