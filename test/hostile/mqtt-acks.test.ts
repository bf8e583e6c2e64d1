// Issue 12 items 2, 3, 4 (contract v2 A2, A3): a reading dropped by the rate limit is never
// acknowledged (acked == stored, and the device stays connected to send it again); a device cannot
// take another device's session or pile up sessions under fresh client ids.
import mqtt from 'mqtt'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { liveMemoryMb, metricValue, sleep, watchUnhandled, within } from './hostile-helpers.ts'
import { connectPacket, rawConnect } from './mqtt-bytes.ts'
import { packetsOf, PUBACK, rawDevice, startRig, statePublish, type Rig } from './mqtt-rig.ts'

const S = 'acks'
let rig: Rig
const unhandled = watchUnhandled()

beforeAll(async () => {
  rig = await startRig(S, { DEVICE_MAX_MSG_PER_SEC: '50' })
}, 30_000)
afterAll(async () => {
  await rig?.stop()
  unhandled.uninstall()
})

const waterPoints = async () => ((await rig.api(`/api/stations/${S}/history?subject=item:water&from=0`)) as { points: unknown[] }).points.length

test('200 QoS 1 readings sent at once past a limit of 50/s: acked == stored, the device stays connected and its resends are stored', async () => {
  const creds = { clientId: rig.dev.shelf, username: rig.dev.shelf, password: rig.st.secrets[rig.dev.shelf]! }
  const raw = await rawDevice(rig.svc.mqttPort, creds)
  raw.socket.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => statePublish(S, rig.dev.shelf, i + 1, { items: { water: i + 1 } }))))
  await sleep(1500)
  const acked = new Set(packetsOf(raw).filter((p) => p.type === PUBACK).map((p) => p.body.readUInt16BE(0)))
  const stored = await waterPoints()
  expect(acked.size).toBeLessThan(200) // the limit did drop some
  expect(acked.size).toBeGreaterThanOrEqual(50)
  expect(stored).toBe(acked.size)
  expect(raw.isClosed()).toBe(false)

  // As a device does: it sends what was not acknowledged again, on a new connection, more slowly.
  raw.socket.destroy()
  const again = await rawDevice(rig.svc.mqttPort, creds)
  const missing = Array.from({ length: 200 }, (_, i) => i + 1).filter((seq) => !acked.has(seq + 1))
  for (let i = 0; i < missing.length; i += 20) {
    again.socket.write(Buffer.concat(missing.slice(i, i + 20).map((seq) => statePublish(S, rig.dev.shelf, seq, { items: { water: seq } }))))
    await sleep(500)
  }
  await sleep(300)
  const ackedAgain = packetsOf(again).filter((p) => p.type === PUBACK).length
  expect(ackedAgain).toBe(missing.length)
  expect(await waterPoints()).toBe(200)
  again.socket.destroy()
  expect(await rig.goodPuback()).toBeLessThan(1000)
  unhandled.check()
}, 30_000)

test("a device cannot take over another device's session: refused with return code 2, the victim stays connected, no device-offline", async () => {
  const victimId = rig.dev.doorMain
  const victim = await mqtt.connectAsync(`mqtt://127.0.0.1:${rig.svc.mqttPort}`, {
    protocolVersion: 4, clientId: victimId, username: victimId, password: rig.st.secrets[victimId], reconnectPeriod: 0,
    will: { topic: `stations/${S}/devices/${victimId}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  })
  await victim.publishAsync(`stations/${S}/devices/${victimId}/status`, '{"online":true}', { qos: 1, retain: true })
  const shelf = { username: rig.dev.shelf, password: rig.st.secrets[rig.dev.shelf]! }
  const codes: Record<string, number> = {}
  for (const [name, o] of Object.entries({
    'the victim’s id': { clientId: victimId },
    'one of the victim’s ids': { clientId: `${victimId}-2` },
    'a suffix naming the victim': { clientId: `${rig.dev.shelf.replace(/-shelf$/, '-door')}-main` },
    'a free-form id': { clientId: 'mqttjs_1234abcd' },
    'an empty id': { clientId: '' },
    'a suffix too long': { clientId: `${rig.dev.shelf}-${'a'.repeat(33)}` },
    'a suffix with a dot': { clientId: `${rig.dev.shelf}-a.b` },
    'clean=false under a suffixed id': { clientId: `${rig.dev.shelf}-x`, clean: false },
  })) {
    const raw = await rawConnect(rig.svc.mqttPort)
    raw.socket.write(connectPacket({ ...shelf, ...o }))
    codes[name] = await within(raw.connack(), 5000, name)
    raw.socket.destroy()
  }
  expect(Object.values(codes)).toEqual(Array(Object.keys(codes).length).fill(2))
  // Allowed: the device id (also with clean=false) and the device id with a short suffix.
  for (const o of [{ clientId: rig.dev.shelf, clean: false }, { clientId: `${rig.dev.shelf}-bench_2` }]) {
    const raw = await rawConnect(rig.svc.mqttPort)
    raw.socket.write(connectPacket({ ...shelf, ...o }))
    expect(await within(raw.connack(), 5000, o.clientId)).toBe(0)
    raw.socket.destroy()
  }
  await sleep(300)
  expect(victim.connected).toBe(true)
  await victim.publishAsync(`stations/${S}/devices/${victimId}/state`, JSON.stringify({ ts: Date.now(), seq: 1, open: false }), { qos: 1 })
  const alerts = (await rig.api('/api/alerts?state=active')) as { rule: string }[]
  expect(alerts.filter((a) => a.rule === 'device-offline')).toEqual([])
  await victim.endAsync(true)
  unhandled.check()
}, 30_000)

test('2,000 CONNECTs with clean=false and fresh 60,000-character client ids: all refused, no session kept, memory and log bounded', async () => {
  const shelf = { username: rig.dev.shelf, password: rig.st.secrets[rig.dev.shelf]! }
  const before = await liveMemoryMb()
  const logBefore = rig.log.bytes()
  let refused = 0
  for (let batch = 0; batch < 20; batch++) {
    const codes = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const raw = await rawConnect(rig.svc.mqttPort)
        raw.socket.write(connectPacket({ ...shelf, clientId: `${batch}-${i}-`.padEnd(60_000, 'x'), clean: false }))
        const code = await within(raw.connack(), 10_000, 'CONNACK').catch(() => -1)
        raw.socket.destroy()
        return code
      }),
    )
    refused += codes.filter((c) => c === 2).length
  }
  expect(refused).toBe(2000)
  await sleep(200)
  const grown = (await liveMemoryMb()) - before
  const logged = rig.log.bytes() - logBefore
  // Bounds (docs/reliability.md): 10 recorded refusals per device and per address a minute, ids cut to 128 characters.
  expect(grown).toBeLessThan(20)
  expect(logged).toBeLessThan(20_000)
  expect(rig.log.lines.every((l) => typeof l.clientId !== 'string' || l.clientId.length <= 128)).toBe(true)
  const m = await rig.metrics()
  expect(metricValue(m, 'stationwatch_mqtt_refusals_total', { packet: 'connect' })).toBeGreaterThanOrEqual(2000)
  expect(metricValue(m, 'stationwatch_mqtt_refusals_total', { packet: 'connect', recorded: 'false' })).toBeGreaterThanOrEqual(1980)
  expect(rig.log.lines.filter((l) => /too many refused mqtt packets/.test(String(l.msg))).length).toBeGreaterThanOrEqual(1)
  expect(await rig.goodPuback()).toBeLessThan(1000)
  unhandled.check()
}, 120_000)
