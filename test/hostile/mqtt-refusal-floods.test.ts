// Issue 12 items 5, 6 (contract v2 A3): refused SUBSCRIBEs and CONNECTs are bounded per device and
// per client address — log lines and reject rows — with ids and topics cut to 128 characters; past
// the bound they are only counted; the reject trail of an earlier bad publish survives; a device
// that keeps sending refused subscriptions is disconnected.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { liveMemoryMb, metricValue, sleep, watchUnhandled, within } from './hostile-helpers.ts'
import { connectPacket, packet, publishPacket, rawConnect } from './mqtt-bytes.ts'
import { openFds, packetsOf, rawDevice, startRig, SUBACK, type Rig } from './mqtt-rig.ts'

const S = 'floods'
let rig: Rig
const unhandled = watchUnhandled()

beforeAll(async () => {
  rig = await startRig(S)
}, 30_000)
afterAll(async () => {
  await rig?.stop()
  unhandled.uninstall()
})

/** One SUBSCRIBE packet asking for several topics. */
function subscribeMany(topics: string[], id: number): Buffer {
  const pid = Buffer.alloc(2)
  pid.writeUInt16BE(id)
  const parts = [pid]
  for (const t of topics) {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(Buffer.byteLength(t))
    parts.push(len, Buffer.from(t), Buffer.from([0]))
  }
  return packet(0x82, Buffer.concat(parts))
}

test('a SUBSCRIBE flood (long topics, many connections) leaves the reject trail, the log and memory bounded; the flooder is disconnected', async () => {
  // The evidence that must survive: a bad publish by the keybox.
  const keybox = await rawDevice(rig.svc.mqttPort, { clientId: rig.dev.keybox, username: rig.dev.keybox, password: rig.st.secrets[rig.dev.keybox]! })
  keybox.socket.write(publishPacket({ topic: `stations/${S}/devices/${rig.dev.keybox}/state`, payload: Buffer.from('not json at all'), qos: 1, id: 7 }))
  await sleep(300)
  keybox.socket.destroy()
  const evidence = (r: { device: string; reason: string }) => r.device === rig.dev.keybox && /json/i.test(r.reason)
  expect(((await rig.api('/api/rejects?limit=10000')) as { device: string; reason: string }[]).some(evidence)).toBe(true)

  await sleep(100)
  const memBefore = await liveMemoryMb()
  const fdsBefore = openFds()
  const logBefore = rig.log.bytes()
  const shelf = { clientId: rig.dev.shelf, username: rig.dev.shelf, password: rig.st.secrets[rig.dev.shelf]! }
  let disconnected = 0
  // 40 connections, each sending 300 refused subscriptions (60 of them 60,000 characters long).
  for (let c = 0; c < 40; c++) {
    const raw = await rawDevice(rig.svc.mqttPort, shelf)
    const packets: Buffer[] = []
    for (let i = 0; i < 60; i++) packets.push(subscribeMany([`stations/${S}/devices/x/${'t'.repeat(60_000)}`], i + 1))
    for (let i = 0; i < 48; i++) packets.push(subscribeMany(Array.from({ length: 5 }, (_, k) => `stations/${S}/#/${c}-${i}-${k}`), 100 + i))
    raw.socket.write(Buffer.concat(packets))
    await within(raw.closed, 5000, 'the flooding device to be disconnected')
    disconnected++
    // It was answered (refused subscriptions get 0x80) before being cut off.
    expect(packetsOf(raw).filter((p) => p.type === SUBACK).every((p) => p.body[2] === 0x80)).toBe(true)
  }
  expect(disconnected).toBe(40)
  await sleep(300)

  const rejects = (await rig.api('/api/rejects?limit=10000')) as { device: string; topic: string; reason: string }[]
  expect(rejects.some(evidence)).toBe(true)
  expect(rejects.every((r) => r.topic.length <= 128 && r.reason.length <= 256)).toBe(true)
  // Bound: 10 recorded refusals per device (and per address) a minute.
  expect(rejects.filter((r) => r.device === rig.dev.shelf && /subscribe/.test(r.reason)).length).toBeLessThanOrEqual(10)
  const logged = rig.log.bytes() - logBefore
  expect(logged).toBeLessThan(40_000)
  expect(rig.log.lines.every((l) => typeof l.topic !== 'string' || l.topic.length <= 128)).toBe(true)
  const m = await rig.metrics()
  expect(metricValue(m, 'stationwatch_mqtt_refusals_total', { packet: 'subscribe', recorded: 'false' })).toBeGreaterThan(800)
  expect(rig.log.lines.filter((l) => /kept sending refused subscriptions/.test(String(l.msg))).length).toBe(40)

  expect((await liveMemoryMb()) - memBefore).toBeLessThan(30)
  expect(openFds() - fdsBefore).toBeLessThanOrEqual(5)
  expect(await rig.goodPuback()).toBeLessThan(1000)
  unhandled.check()
}, 120_000)

test('refused CONNECTs from unknown users with 60,000-character client ids: counted, at most a few log lines, ids cut', async () => {
  const logBefore = rig.log.bytes()
  const codes: number[] = []
  for (let batch = 0; batch < 10; batch++) {
    codes.push(
      ...(await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const raw = await rawConnect(rig.svc.mqttPort)
          raw.socket.write(connectPacket({ clientId: `c${batch}-${i}`.padEnd(60_000, 'y'), username: i % 2 ? `nobody-${i}` : rig.dev.shelf, password: 'wrong' }))
          const code = await within(raw.connack(), 10_000, 'CONNACK').catch(() => -1)
          raw.socket.destroy()
          return code
        }),
      )),
    )
  }
  expect(codes.every((c) => c === 4)).toBe(true)
  const logged = rig.log.bytes() - logBefore
  expect(logged).toBeLessThan(10_000)
  const m = await rig.metrics()
  expect(metricValue(m, 'stationwatch_mqtt_refusals_total', { packet: 'connect' })).toBeGreaterThanOrEqual(1000)
  expect(await rig.goodPuback()).toBeLessThan(1000)
  unhandled.check()
}, 120_000)
