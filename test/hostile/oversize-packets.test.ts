// Issue 8, hostile input: MQTT packets larger than MQTT_MAX_PACKET_BYTES are refused by the broker
// before they are buffered whole, over TCP and over WebSocket; payloads over the contract's 4 KiB
// but under the packet limit stay counted rejects that leave the device connected. The service
// runs as a child process so its memory can be read alone.
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { killAllSpawned, spawnService, waitListening, type ServiceProcess } from '../helpers/process.ts'
import { fixtureStation, tempDir, writeStations } from '../helpers/station-fixture.ts'
import { fetchMetric, rssMb, sampleRss, sleep, within } from './hostile-helpers.ts'
import { connectPacket, publishHeader, rawConnect } from './mqtt-bytes.ts'

const S = 'big'
const st = fixtureStation(S)
const dev = { doorMain: `${S}-door-main`, doorRoom: `${S}-door-room`, keybox: `${S}-keybox`, shelf: `${S}-shelf` }
const PASSWORD = 'oversize-admin-password'
const TEN_MB = 10 * 1024 * 1024

let svc: ServiceProcess
let ports: { mqttPort: number; httpPort: number }
let token: string
let good: MqttClient
let goodSeq = 0

beforeAll(async () => {
  svc = spawnService({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-oversize-'), STATIONS: writeStations([st]), ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info', DEVICE_MAX_MSG_PER_SEC: '0' })
  ports = await waitListening(svc, 20_000)
  const r = await within(fetch(`http://127.0.0.1:${ports.httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) }), 10_000, 'login')
  token = ((await r.json()) as { token: string }).token
  // A well-behaved device that stays connected through everything below.
  good = await within(mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqttPort}`, { protocolVersion: 4, clientId: dev.doorRoom, username: dev.doorRoom, password: st.secrets[dev.doorRoom], reconnectPeriod: 0 }), 10_000, 'the good device to connect')
  await within(goodDoorReport(), 10_000, 'the good device’s first report')
}, 60_000)
afterAll(async () => {
  await good?.endAsync(true).catch(() => undefined)
  killAllSpawned()
})

const api = async (path: string) => (await fetch(`http://127.0.0.1:${ports.httpPort}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()

/** The well-behaved door reports a change and we wait until the status shows it. */
async function goodDoorReport(): Promise<void> {
  const open = ++goodSeq % 2 === 1
  await good.publishAsync(`stations/${S}/devices/${dev.doorRoom}/state`, JSON.stringify({ ts: Date.now(), seq: goodSeq, open }), { qos: 1 })
  const status = await api(`/api/stations/${S}`)
  expect(status.doors.find((d: any) => d.id === 'equipment-room').open).toBe(open)
  expect(good.connected).toBe(true)
}

async function connectedRaw(device: string) {
  const raw = await rawConnect(ports.mqttPort)
  raw.socket.write(connectPacket({ clientId: `${device}-raw`, username: device, password: st.secrets[device]! }))
  expect(await raw.connack()).toBe(0)
  return raw
}

/** Settles the service's memory and reads its RSS. */
async function baselineRss(): Promise<number> {
  await sleep(300)
  return rssMb(svc.child.pid!)
}

describe('MQTT over TCP', () => {
  test('a PUBLISH declaring 10 MB from a connected device is cut at its header, even when dribbled, and the device is named in the log', async () => {
    const before = await fetchMetric(ports.httpPort, 'stationwatch_mqtt_packets_refused_total', { transport: 'tcp' })
    const rss0 = await baselineRss()
    const sampler = sampleRss(svc.child.pid!)
    const raw = await connectedRaw(dev.shelf)
    const t0 = Date.now()
    raw.socket.write(publishHeader(TEN_MB))
    // Dribble the body, a kilobyte every 5 ms, for as long as the broker lets us.
    const dribble = setInterval(() => raw.isClosed() || raw.socket.write(Buffer.alloc(1024, 0x41)), 5)
    const closedAt = await within(raw.closed, 5000, 'the broker to close the connection').finally(() => clearInterval(dribble))
    const peak = sampler.stop()
    console.log(`[oversize] dribbled 10 MB PUBLISH: closed after ${closedAt - t0} ms; service RSS ${rss0.toFixed(1)} MB → peak ${peak.toFixed(1)} MB`)
    expect(closedAt - t0).toBeLessThan(1000)
    expect(await fetchMetric(ports.httpPort, 'stationwatch_mqtt_packets_refused_total', { transport: 'tcp', reason: 'too-large' })).toBe(before + 1)
    const line = await svc.waitForLog((l) => l.msg === 'mqtt packet over the size limit: connection closed' && l.device === dev.shelf, 2000)
    expect(line).toMatchObject({ transport: 'tcp', declared: TEN_MB, limit: 65536, clientId: `${dev.shelf}-raw`, packetType: 3 })
    await goodDoorReport()
  })

  test('a PUBLISH declaring 10 MB and sending all of it at once does not grow the service by MBs', async () => {
    const rss0 = await baselineRss()
    const sampler = sampleRss(svc.child.pid!, 5)
    const raw = await connectedRaw(dev.doorMain)
    const body = Buffer.alloc(TEN_MB, 0x42)
    raw.socket.write(Buffer.concat([publishHeader(TEN_MB + 200), body]))
    await Promise.race([raw.closed, sleep(3000)])
    await sleep(200)
    const peak = sampler.stop()
    console.log(`[oversize] 10 MB PUBLISH in one write: ${raw.isClosed() ? 'closed' : 'NOT closed'}; ${(raw.socket.bytesWritten / 1048576).toFixed(2)} MB left the client; service RSS ${rss0.toFixed(1)} MB → peak ${peak.toFixed(1)} MB (+${(peak - rss0).toFixed(1)} MB)`)
    expect(raw.isClosed()).toBe(true)
    // Without the guard aedes would hold the whole 10 MB packet (and its copy while parsing).
    expect(peak - rss0).toBeLessThan(6)
    await goodDoorReport()
  })

  test('a CONNECT that declares 10 MB is refused before anyone is authenticated', async () => {
    const before = await fetchMetric(ports.httpPort, 'stationwatch_mqtt_packets_refused_total', { transport: 'tcp' })
    const raw = await rawConnect(ports.mqttPort)
    raw.socket.write(Buffer.concat([Buffer.from([0x10]), Buffer.from([0x80, 0x80, 0x80, 0x05])]))
    await within(raw.closed, 2000, 'the broker to close the connection')
    expect(await fetchMetric(ports.httpPort, 'stationwatch_mqtt_packets_refused_total', { transport: 'tcp' })).toBe(before + 1)
    await svc.waitForLog((l) => l.msg === 'mqtt packet over the size limit: connection closed' && l.packetType === 1 && l.device === null, 2000)
  })

  test('a 5 KB payload (over 4 KiB, under the packet limit) is a counted reject and the device stays connected and applied', async () => {
    await payloadOverContractLimit(false)
  })
})

describe('MQTT over WebSocket (/mqtt)', () => {
  async function wsConnected(device: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/mqtt`, 'mqtt')
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
    // aedes may write the CONNACK in parts, one WebSocket message each.
    let got = Buffer.alloc(0)
    const connack = new Promise<number>((resolve) => ws.on('message', (d: Buffer) => (got = Buffer.concat([got, d])).length >= 4 && resolve(got[3]!)))
    ws.send(connectPacket({ clientId: `${device}-ws`, username: device, password: st.secrets[device]! }))
    expect(await within(connack, 3000, 'CONNACK')).toBe(0)
    return { ws, closed }
  }

  test('a PUBLISH declaring 10 MB, dribbled in small frames, closes the connection and is counted under transport "ws"', async () => {
    const before = await fetchMetric(ports.httpPort, 'stationwatch_mqtt_packets_refused_total', { transport: 'ws' })
    const { ws, closed } = await wsConnected(dev.keybox)
    const t0 = Date.now()
    ws.send(Buffer.concat([publishHeader(TEN_MB), Buffer.alloc(100, 0x41)]))
    const dribble = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(Buffer.alloc(1024, 0x41)), 5)
    await within(closed, 5000, 'the broker to close the WebSocket').finally(() => clearInterval(dribble))
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(await fetchMetric(ports.httpPort, 'stationwatch_mqtt_packets_refused_total', { transport: 'ws', reason: 'too-large' })).toBe(before + 1)
    await svc.waitForLog((l) => l.msg === 'mqtt packet over the size limit: connection closed' && l.device === dev.keybox && l.transport === 'ws', 2000)
    await goodDoorReport()
  })

  test('a single 10 MB WebSocket frame is refused by its frame header without growing the service by MBs', async () => {
    const rss0 = await baselineRss()
    const sampler = sampleRss(svc.child.pid!, 5)
    const { ws, closed } = await wsConnected(dev.shelf)
    ws.send(Buffer.concat([publishHeader(TEN_MB + 200), Buffer.alloc(TEN_MB + 200, 0x42)]))
    const code = await within(closed, 5000, 'the broker to close the WebSocket')
    await sleep(200)
    const peak = sampler.stop()
    console.log(`[oversize] one 10 MB WebSocket frame: close code ${code}; service RSS ${rss0.toFixed(1)} MB → peak ${peak.toFixed(1)} MB (+${(peak - rss0).toFixed(1)} MB)`)
    expect(peak - rss0).toBeLessThan(6)
    await goodDoorReport()
  })

  test('a 5 KB payload over WebSocket is a counted reject and the device stays connected and applied', async () => {
    await payloadOverContractLimit(true)
  })
})

/** Contract §3: over 4 KiB is a reject with a reason, counted, and the device stays connected. */
async function payloadOverContractLimit(ws: boolean): Promise<void> {
  const url = ws ? `ws://127.0.0.1:${ports.httpPort}/mqtt` : `mqtt://127.0.0.1:${ports.mqttPort}`
  const shelf = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: dev.shelf, username: dev.shelf, password: st.secrets[dev.shelf], reconnectPeriod: 0 })
  try {
    const topic = `stations/${S}/devices/${dev.shelf}/state`
    const before = await fetchMetric(ports.httpPort, 'stationwatch_messages_rejected_total', { reason: 'too-large' })
    const padding = 'x'.repeat(5 * 1024)
    await shelf.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq: 1, items: { water: 1 }, padding }), { qos: 1 })
    expect(await fetchMetric(ports.httpPort, 'stationwatch_messages_rejected_total', { reason: 'too-large' })).toBe(before + 1)
    const rejects = await api('/api/rejects?limit=1')
    expect(rejects[0]).toMatchObject({ device: dev.shelf, topic })
    expect(rejects[0].reason).toMatch(/too large/)
    expect((await api(`/api/stations/${S}`)).equipment.find((e: any) => e.id === 'water').count).not.toBe(1)
    const count = 20 + Math.floor(Math.random() * 10)
    await shelf.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq: Date.now(), items: { water: count } }), { qos: 1 })
    expect(shelf.connected).toBe(true)
    expect((await api(`/api/stations/${S}`)).equipment.find((e: any) => e.id === 'water').count).toBe(count)
  } finally {
    await shelf.endAsync(true)
  }
}
