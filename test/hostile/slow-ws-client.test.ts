// Issue 8, hostile input on /ws (contract §5: "a slow client is dropped rather than allowed to grow
// the server's memory"): a client that stops reading while the server pushes tens of MB of station
// updates is dropped and counted, a client that reads keeps everything, and the service's memory
// (a child process, measured alone) stays bounded.
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { addDevice, addItem } from '../helpers/contract.ts'
import { killAllSpawned, spawnService, waitListening, type ServiceProcess } from '../helpers/process.ts'
import { fixtureStation, tempDir, writeStations } from '../helpers/station-fixture.ts'
import { fetchMetric, rssMb, sampleRss, sleep } from './hostile-helpers.ts'

const S = 'wide'
const ITEMS = 300
const st = fixtureStation(S)
for (let i = 0; i < ITEMS; i++) addItem(st, { id: `supply-${i}`, name: `应急物资 第${i}号（饮用水、食品、药品）`, category: 'water-food', kind: 'supply', min: 1 })
const SHELF = `${S}-big-shelf`
addDevice(st, { id: SHELF, type: 'equipment', items: Array.from({ length: ITEMS }, (_, i) => `supply-${i}`) })
const PASSWORD = 'slow-ws-admin-password'

let svc: ServiceProcess
let ports: { mqttPort: number; httpPort: number }
let token: string
let shelf: MqttClient

beforeAll(async () => {
  // Every change pushed (no 100 ms coalescing), so one station makes the tens of MB this needs.
  svc = spawnService({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-slow-ws-'), STATIONS: writeStations([st]), ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info', DEVICE_MAX_MSG_PER_SEC: '0', STATUS_PUSH_INTERVAL_MS: '0' })
  ports = await waitListening(svc, 15_000)
  const r = await fetch(`http://127.0.0.1:${ports.httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })
  token = ((await r.json()) as { token: string }).token
  shelf = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqttPort}`, { protocolVersion: 4, clientId: SHELF, username: SHELF, password: st.secrets[SHELF], reconnectPeriod: 0 })
}, 30_000)
afterAll(async () => {
  await shelf?.endAsync(true).catch(() => undefined)
  killAllSpawned()
})

let seq = 0
/**
 * One reading that changes one item's count: one `station` push of the whole (large) status.
 * QoS 0 a few ms apart, so each lands in its own event-loop turn of the service (one push each)
 * without waiting for the store's commit.
 */
async function change(): Promise<void> {
  ++seq
  shelf.publish(`stations/${S}/devices/${SHELF}/state`, JSON.stringify({ ts: Date.now(), seq, items: { [`supply-${seq % ITEMS}`]: seq } }), { qos: 0 })
  await sleep(2)
}

async function openLive(): Promise<{ ws: WebSocket; bytes: () => number; messages: () => number; closed: () => boolean; last: () => any }> {
  let last: Buffer | undefined
  const ws = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/ws?token=${encodeURIComponent(token)}`)
  let bytes = 0
  let messages = 0
  let closed = false
  ws.on('message', (d: Buffer) => {
    bytes += d.length
    messages++
    last = d
  })
  ws.on('close', () => (closed = true))
  ws.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
  return { ws, bytes: () => bytes, messages: () => messages, closed: () => closed, last: () => (last ? JSON.parse(last.toString()) : undefined) }
}

test('a /ws client that stops reading is dropped and counted while a reading client gets every update, and the service’s memory stays bounded', async () => {
  const reader = await openLive()
  // Warm up: status computation, JSON and the store settle before the baseline.
  for (let i = 0; i < 300; i++) await change()
  await sleep(500)
  const statusBytes = reader.bytes() / reader.messages()
  const rss0 = rssMb(svc.child.pid!)

  const slow = await openLive()
  await new Promise((r) => setTimeout(r, 100)) // its snapshot
  // Stop reading: the kernel buffers fill, then the server's socket buffer.
  const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket
  socket.pause()
  const sampler = sampleRss(svc.child.pid!, 10)
  const readerBytesBefore = reader.bytes()
  const readerMessagesBefore = reader.messages()
  const t0 = Date.now()
  let droppedAfterMb = -1
  // Push at least 64 MB of updates: far more than the 4 MB a client may leave unread.
  while (reader.bytes() - readerBytesBefore < 64 * 1024 * 1024 && Date.now() - t0 < 40_000) {
    for (let i = 0; i < 20; i++) await change()
    if (droppedAfterMb < 0 && (await fetchMetric(ports.httpPort, 'stationwatch_ws_clients_dropped_total', { reason: 'slow' })) >= 1) droppedAfterMb = (reader.bytes() - readerBytesBefore) / 1048576
  }
  await sleep(300)
  const peak = sampler.stop()
  const pushedMb = (reader.bytes() - readerBytesBefore) / 1048576
  const rssAfter = rssMb(svc.child.pid!)
  console.log(
    `[slow-ws] status ${(statusBytes / 1024).toFixed(1)} KB; pushed ${pushedMb.toFixed(1)} MB (${reader.messages() - readerMessagesBefore} updates) in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
      `slow client dropped after ${droppedAfterMb.toFixed(1)} MB; service RSS ${rss0.toFixed(1)} MB → peak ${peak.toFixed(1)} MB (+${(peak - rss0).toFixed(1)} MB), ${rssAfter.toFixed(1)} MB after`,
  )
  expect(pushedMb).toBeGreaterThan(60)
  expect(droppedAfterMb, 'the slow client was dropped').toBeGreaterThan(0)
  expect(await fetchMetric(ports.httpPort, 'stationwatch_ws_clients_dropped_total', { reason: 'slow' })).toBe(1)
  expect(await fetchMetric(ports.httpPort, 'stationwatch_ws_clients')).toBe(1)
  // Had the slow client been kept, the server would hold most of what was pushed (60+ MB).
  expect(peak - rss0).toBeLessThan(40)
  // The reader is still connected and has the latest state.
  expect(reader.closed()).toBe(false)
  const latest = reader.last()
  expect(latest.type).toBe('station')
  expect(latest.station.equipment.find((e: any) => e.id === `supply-${seq % ITEMS}`).count).toBe(seq)
  reader.ws.close()
  slow.ws.terminate()
}, 60_000)
