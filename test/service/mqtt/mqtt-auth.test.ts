// Contract §3: devices authenticate at CONNECT and may publish only to their own
// state/status topics and subscribe only to their own cmd topic — over TCP and /mqtt.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { connackCode, fixtureDevices, listRejects, metricSum, mqttUrl, nextReject, publishMaybeRefused, stateTopic, stationStatus, toMs } from '../../helpers/contract.ts'
import { eventually, publishState, startTestService, type TestService } from '../../helpers/service.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

let t: TestService
const alpha = fixtureDevices('alpha')
const beta = fixtureDevices('beta')

beforeAll(async () => {
  t = await startTestService({ stations: [fixtureStation('alpha'), fixtureStation('beta')] })
})
afterAll(async () => {
  await t?.stop()
})

const secretOf = (device: string) => t.stations.find((s) => device in s.secrets)!.secrets[device]!

describe.each([
  { transport: 'TCP', ws: false },
  { transport: 'MQTT over WebSocket at /mqtt', ws: true },
])('$transport', ({ ws }) => {
  test('a device with its own id and secret is accepted (CONNACK 0)', async () => {
    expect(await connackCode(mqttUrl(t, ws), { clientId: alpha.doorMain, username: alpha.doorMain, password: secretOf(alpha.doorMain) })).toBe(0)
  })

  test('a wrong secret is refused at CONNECT with return code 4 or 5', async () => {
    const code = await connackCode(mqttUrl(t, ws), { username: alpha.doorMain, password: 'not-the-secret' })
    expect([4, 5]).toContain(code)
  })

  test('another device’s secret does not open this device', async () => {
    const code = await connackCode(mqttUrl(t, ws), { username: alpha.doorMain, password: secretOf(alpha.doorRoom) })
    expect([4, 5]).toContain(code)
  })

  test('a connection without a username is refused at CONNECT', async () => {
    expect([4, 5]).toContain(await connackCode(mqttUrl(t, ws), {}))
  })

  test('a connection with a username but no password is refused at CONNECT', async () => {
    expect([4, 5]).toContain(await connackCode(mqttUrl(t, ws), { username: alpha.doorMain }))
  })

  test('an unknown device id is refused at CONNECT', async () => {
    expect([4, 5]).toContain(await connackCode(mqttUrl(t, ws), { username: 'no-such-device', password: secretOf(alpha.doorMain) }))
  })

  test('a device may subscribe to its own cmd topic', async () => {
    const c = await t.device(alpha.keybox, { ws })
    const granted = await c.subscribeAsync(`stations/alpha/devices/${alpha.keybox}/cmd`, { qos: 1 })
    expect(granted).toHaveLength(1)
    expect(granted[0]!.qos).not.toBe(128)
    expect([0, 1]).toContain(granted[0]!.qos)
    await c.endAsync()
  })

  test.each([
    ['another device’s cmd topic', () => `stations/alpha/devices/${alpha.doorRoom}/cmd`],
    ['another station’s device cmd topic', () => `stations/beta/devices/${beta.keybox}/cmd`],
    ['its own state topic', () => `stations/alpha/devices/${alpha.keybox}/state`],
    ['its own status topic', () => `stations/alpha/devices/${alpha.keybox}/status`],
    ['a wildcard over its station', () => 'stations/alpha/#'],
    ['everything (#)', () => '#'],
    ['its own cmd topic under another station', () => `stations/beta/devices/${alpha.keybox}/cmd`],
  ])('subscribing to %s is refused with 0x80', async (_what, topic) => {
    const c = await t.device(alpha.keybox, { ws })
    let granted: { qos: number }[] | undefined
    let refused = false
    try {
      granted = await c.subscribeAsync(topic(), { qos: 1 })
    } catch {
      refused = true // mqtt.js rejects the whole call when the SUBACK carries 0x80
    }
    if (!refused) expect(granted!.map((g) => g.qos)).toEqual([128])
    await c.endAsync(true)
  })

  test.each([
    ['another device’s state topic', () => stateTopic('alpha', alpha.doorRoom)],
    ['another station’s device state topic', () => stateTopic('beta', beta.doorMain)],
    ['its own device id under another station', () => stateTopic('beta', alpha.doorMain)],
    ['another device’s status topic', () => `stations/alpha/devices/${alpha.doorRoom}/status`],
    ['its own cmd topic', () => `stations/alpha/devices/${alpha.doorMain}/cmd`],
    ['a topic outside the device tree', () => 'some/other/topic'],
  ])('publishing to %s is refused, changes nothing, and is listed in /api/rejects with the device id', async (_what, topicOf) => {
    const topic = topicOf()
    const before = await listRejects(t)
    const aclBefore = await metricSum(t, 'stationwatch_messages_rejected_total')
    const alphaBefore = await stationStatus(t, 'alpha')
    const betaBefore = await stationStatus(t, 'beta')
    const c = await t.device(alpha.doorMain, { ws })
    const sent = Date.now()
    await publishMaybeRefused(c, topic, JSON.stringify({ ts: Date.now(), seq: 1, open: true, online: true }))

    const r = await nextReject(t, before.length, (x) => x.topic === topic)
    expect(r.device).toBe(alpha.doorMain)
    expect(typeof r.reason).toBe('string')
    expect(r.reason.length).toBeGreaterThan(0)
    expect(Math.abs(toMs(r.t) - sent)).toBeLessThan(60_000)
    expect(await metricSum(t, 'stationwatch_messages_rejected_total')).toBe(aclBefore + 1)
    // The target of the refused publish did not change.
    expect(await stationStatus(t, 'alpha')).toEqual(alphaBefore)
    expect(await stationStatus(t, 'beta')).toEqual(betaBefore)
    await c.endAsync(true)
  })
})

test('a refused publish does not stop the device from using its own topic afterwards (on a new connection if it was closed)', async () => {
  const c1 = await t.device(alpha.doorRoom)
  await publishMaybeRefused(c1, stateTopic('alpha', alpha.doorMain), JSON.stringify({ ts: Date.now(), seq: 1, open: true }))
  const c = c1.connected ? c1 : await t.device(alpha.doorRoom)
  await publishState(c, 'alpha', alpha.doorRoom, { ts: Date.now(), seq: 2, open: true })
  await eventually(async () => (await stationStatus(t, 'alpha')).doors.find((d: any) => d.id === 'equipment-room').open === true, 3000, 'the equipment-room door to open')
  await c.endAsync(true)
})
