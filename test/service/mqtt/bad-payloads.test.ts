// Contract §3: every kind of bad device message is rejected without touching the live
// state or the store, is counted and kept with its reason, and the device stays connected.
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { addDevice, addItem, DeviceClock, fixtureDevices, historyPoints, listRejects, metricSum, stationStatus, toMs } from '../../helpers/contract.ts'
import { eventually, publishState, publishStatus, startTestService, type TestService } from '../../helpers/service.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

const S = 'bad'
const dev = { ...fixtureDevices(S), shelf2: `${S}-shelf-2` }
let t: TestService
const clients: Record<'door' | 'keybox' | 'shelf' | 'shelf2', MqttClient> = {} as never
const clock = { door: new DeviceClock(), keybox: new DeviceClock(), shelf: new DeviceClock(), shelf2: new DeviceClock() }

beforeAll(async () => {
  // The fixture plus a second reader that covers one item ("rope") the first reader does not.
  const st = fixtureStation(S)
  addItem(st, { id: 'rope', name: '救援绳', category: 'rescue', kind: 'supply' })
  addDevice(st, { id: dev.shelf2, type: 'equipment', items: ['rope'] })
  t = await startTestService({ stations: [st] })
  clients.door = await t.device(dev.doorMain)
  clients.keybox = await t.device(dev.keybox)
  clients.shelf = await t.device(dev.shelf)
  clients.shelf2 = await t.device(dev.shelf2)
  await publishState(clients.door, S, dev.doorMain, { ...clock.door.next(), open: false })
  await publishState(clients.keybox, S, dev.keybox, { ...clock.keybox.next(), slots: { '1': 'key-main-1', '2': 'key-room-1' } })
  await publishState(clients.shelf, S, dev.shelf, { ...clock.shelf.next(), items: { 'spreader-1': true, extinguisher: true, water: 30 } })
  await publishState(clients.shelf2, S, dev.shelf2, { ...clock.shelf2.next(), items: { rope: true } })
  const room = await t.device(dev.doorRoom)
  await publishState(room, S, dev.doorRoom, { ts: Date.now(), seq: 1, open: false })
  await eventually(async () => (await stationStatus(t)).level === 'ready', 3000, 'the station to be ready')
})
afterAll(async () => {
  await t?.stop()
})

type Which = keyof typeof clients
const deviceId: Record<Which, string> = { door: dev.doorMain, keybox: dev.keybox, shelf: dev.shelf, shelf2: dev.shelf2 }

/** A good follow-up message per device that changes exactly one subject, and how to see it applied. */
let doorOpen = false
let water = 30
const followUps: Record<Which, () => { body: object; subject: string; applied: (s: any) => boolean }> = {
  door: () => {
    doorOpen = !doorOpen
    const want = doorOpen
    return { body: { ...clock.door.next(), open: want }, subject: 'door:main', applied: (s) => s.doors.find((d: any) => d.id === 'main').open === want }
  },
  keybox: () => {
    // Slot 2's key goes out and comes back, alternately.
    const out = clock.keybox.seq % 2 === 1
    return {
      body: { ...clock.keybox.next(), slots: { '2': out ? null : 'key-room-1' }, user: 'badge-1' },
      subject: 'key:key-room-1',
      applied: (s) => s.keys.find((k: any) => k.id === 'key-room-1').present === !out,
    }
  },
  shelf: () => {
    const want = ++water
    return { body: { ...clock.shelf.next(), items: { water: want } }, subject: 'item:water', applied: (s) => s.equipment.find((e: any) => e.id === 'water').count === want }
  },
  shelf2: () => {
    const present = clock.shelf2.seq % 2 === 0
    return { body: { ...clock.shelf2.next(), items: { rope: present } }, subject: 'item:rope', applied: (s) => s.equipment.find((e: any) => e.id === 'rope').present === present }
  },
}

/**
 * Publishes `payload` on `which`'s own topic and checks the contract's promise for a bad
 * message: live status unchanged, store unchanged, one reject naming the field, the reject
 * counter up by one, and a good message right after on the same client is applied.
 */
async function expectRejected(which: Which, payload: string | object, reason: RegExp, opts: { topic?: 'state' | 'status'; historyChanges?: boolean } = {}) {
  const c = clients[which]
  const device = deviceId[which]
  const follow = followUps[which]()
  const rejectsBefore = await listRejects(t)
  const counterBefore = await metricSum(t, 'stationwatch_messages_rejected_total')
  const statusBefore = await stationStatus(t)
  const historyBefore = await historyPoints(t, follow.subject)
  const sent = Date.now()

  const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
  const topic = `stations/${S}/devices/${device}/${opts.topic ?? 'state'}`
  await c.publishAsync(topic, text, { qos: 1, retain: opts.topic === 'status' })

  const fresh = await eventually(async () => {
    const all = await listRejects(t)
    const added = all.slice(0, all.length - rejectsBefore.length)
    return added.length ? added : undefined
  }, 3000, `a reject for ${device}`)
  expect(fresh).toHaveLength(1)
  expect(fresh[0]!.device).toBe(device)
  expect(fresh[0]!.topic).toBe(topic)
  expect(fresh[0]!.reason).toMatch(reason)
  expect(Math.abs(toMs(fresh[0]!.t) - sent)).toBeLessThan(60_000)
  expect(await metricSum(t, 'stationwatch_messages_rejected_total')).toBe(counterBefore + 1)
  expect(await stationStatus(t)).toEqual(statusBefore)
  if (!opts.historyChanges) expect(await historyPoints(t, follow.subject)).toEqual(historyBefore)

  // The device is still connected and its next good message is applied.
  expect(c.connected).toBe(true)
  await publishState(c, S, device, follow.body)
  await eventually(async () => follow.applied(await stationStatus(t)), 3000, `the follow-up message of ${device} to be applied`)
  return fresh[0]!
}

describe('rejected state payloads', () => {
  test('a payload that is not JSON is rejected', async () => {
    await expectRejected('door', '{"ts": 1, "seq": 2, open: tru', /json/i)
  })

  test('a JSON payload that is not an object is rejected', async () => {
    await expectRejected('door', '[1,2,3]', /object|json|payload/i)
  })

  test('a payload larger than 4 KiB (4097 bytes) is rejected', async () => {
    const body = { ...clock.door.next(), open: true, pad: '' }
    body.pad = 'x'.repeat(4097 - JSON.stringify(body).length)
    const text = JSON.stringify(body)
    expect(Buffer.byteLength(text)).toBe(4097)
    await expectRejected('door', text, /large|size|limit|bytes|4096|KiB/i)
  })

  test('a payload of exactly 4 KiB (4096 bytes) is accepted', async () => {
    const rejectsBefore = (await listRejects(t)).length
    const body = { ...clock.door.next(), open: !doorOpen, pad: '' }
    body.pad = 'x'.repeat(4096 - JSON.stringify(body).length)
    const text = JSON.stringify(body)
    expect(Buffer.byteLength(text)).toBe(4096)
    await publishState(clients.door, S, dev.doorMain, text)
    doorOpen = !doorOpen
    await eventually(async () => (await stationStatus(t)).doors.find((d: any) => d.id === 'main').open === doorOpen, 3000, 'the 4096-byte message to be applied')
    expect((await listRejects(t)).length).toBe(rejectsBefore)
  })

  test('a payload without ts is rejected naming ts', async () => {
    const { seq } = clock.door.next()
    await expectRejected('door', { seq, open: true }, /\bts\b/)
  })

  test('a payload without seq is rejected naming seq', async () => {
    const { ts } = clock.door.next()
    await expectRejected('door', { ts, open: true }, /\bseq\b/)
  })

  test('a door payload without open is rejected naming open', async () => {
    await expectRejected('door', { ...clock.door.next() }, /\bopen\b/)
  })

  test('open given as the string "yes" is rejected naming open', async () => {
    await expectRejected('door', { ...clock.door.next(), open: 'yes' }, /\bopen\b/)
  })

  test('a negative seq is rejected naming seq', async () => {
    await expectRejected('door', { ts: clock.door.next().ts, seq: -1, open: true }, /\bseq\b/)
  })

  test('a float ts is rejected naming ts', async () => {
    const { ts, seq } = clock.door.next()
    await expectRejected('door', { ts: ts + 0.5, seq, open: true }, /\bts\b/)
  })

  test('a ts given as an ISO string is rejected naming ts', async () => {
    const { seq } = clock.door.next()
    await expectRejected('door', { ts: new Date().toISOString(), seq, open: true }, /\bts\b/)
  })

  test('a keybox slot the box does not have is rejected naming the slot', async () => {
    await expectRejected('keybox', { ...clock.keybox.next(), slots: { '9': 'key-main-1' } }, /slot.*\b9\b|\b9\b.*slot/i)
  })

  test('a keybox slot holding an unknown key id is rejected naming the slot or key', async () => {
    await expectRejected('keybox', { ...clock.keybox.next(), slots: { '1': 'no-such-key' } }, /slots|no-such-key/)
  })

  test('keybox slots given as an array are rejected naming slots', async () => {
    await expectRejected('keybox', { ...clock.keybox.next(), slots: ['key-main-1'] }, /slots/)
  })

  test('an unknown equipment item is rejected naming the item', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { 'no-such-item': true } }, /no-such-item/)
  })

  test('an item of this station that this reader does not cover is rejected naming the item', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { rope: false } }, /rope/)
  })

  test('a mix of a good and an uncovered item is rejected as a whole', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { water: 1, rope: false } }, /rope/)
  })

  test('a count for a presence item is rejected naming the item', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { extinguisher: 3 } }, /extinguisher/)
  })

  test('a boolean for a counted item is rejected naming the item', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { water: true } }, /water/)
  })

  test('a negative count is rejected naming the item', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { water: -3 } }, /water/)
  })

  test('a fractional count is rejected naming the item', async () => {
    await expectRejected('shelf', { ...clock.shelf.next(), items: { water: 2.5 } }, /water/)
  })
})

describe('duplicates and order', () => {
  test('a message with the same seq and ts as an accepted one is a duplicate and is ignored', async () => {
    const first = { ...clock.door.next(), open: !doorOpen }
    await publishState(clients.door, S, dev.doorMain, first)
    doorOpen = !doorOpen
    await eventually(async () => (await stationStatus(t)).doors.find((d: any) => d.id === 'main').open === doorOpen, 3000, 'the first message to be applied')
    // Same device, seq and ts, even with another value: ignored.
    const r = await expectRejected('door', { ts: first.ts, seq: first.seq, open: !doorOpen }, /duplicate/i)
    expect(r.reason).toMatch(/\bseq\b|\bts\b/)
  })

  test('an older message (by ts) is stored as history but does not change the live state', async () => {
    const newer = { ...clock.door.next(), open: !doorOpen }
    await publishState(clients.door, S, dev.doorMain, newer)
    doorOpen = !doorOpen
    await eventually(async () => (await stationStatus(t)).doors.find((d: any) => d.id === 'main').open === doorOpen, 3000, 'the newer message to be applied')
    const historyBefore = await historyPoints(t, 'door:main')

    const older = { ts: newer.ts - 60_000, seq: clock.door.next().seq, open: !doorOpen }
    const r = await expectRejected('door', older, /order|older|\bts\b/i, { historyChanges: true })
    expect(r.reason).toMatch(/\bts\b/)
    const history = await historyPoints(t, 'door:main')
    // The old reading is in history (before the follow-up message), with its own value.
    const added = history.filter((p) => !historyBefore.some((q) => q.t === p.t))
    expect(added.length).toBe(2)
    const asBool = (v: unknown) => (typeof v === 'boolean' ? v : v === 1 ? true : v === 0 ? false : v)
    expect(asBool(added[0]!.v)).toBe(older.open)
  })

  test('a seq that restarts at 0 with a newer ts (device reboot) is accepted', async () => {
    const rejectsBefore = (await listRejects(t)).length
    const { ts } = clock.door.next()
    await publishState(clients.door, S, dev.doorMain, { ts, seq: 0, open: !doorOpen })
    doorOpen = !doorOpen
    await eventually(async () => (await stationStatus(t)).doors.find((d: any) => d.id === 'main').open === doorOpen, 3000, 'the rebooted device’s message to be applied')
    expect((await listRejects(t)).length).toBe(rejectsBefore)
  })
})

describe('accepted with extras', () => {
  test('unknown extra fields are ignored and the message is accepted', async () => {
    const rejectsBefore = (await listRejects(t)).length
    const acceptedBefore = await metricSum(t, 'stationwatch_messages_accepted_total')
    await publishState(clients.door, S, dev.doorMain, { ...clock.door.next(), open: !doorOpen, colour: 'red', nested: { a: [1, 2] }, firmware: null })
    doorOpen = !doorOpen
    await eventually(async () => (await stationStatus(t)).doors.find((d: any) => d.id === 'main').open === doorOpen, 3000, 'the message with extra fields to be applied')
    expect((await listRejects(t)).length).toBe(rejectsBefore)
    expect(await metricSum(t, 'stationwatch_messages_accepted_total')).toBe(acceptedBefore + 1)
  })
})

describe('GET /api/rejects', () => {
  test('limit returns the newest N rejects', async () => {
    const all = await listRejects(t)
    expect(all.length).toBeGreaterThan(2)
    const two = await t.api('/api/rejects?limit=2')
    expect(two.status).toBe(200)
    expect(two.body).toEqual(all.slice(0, 2))
  })
})

describe('status payloads', () => {
  test('a status without online is rejected naming online', async () => {
    await publishStatus(clients.shelf2, S, dev.shelf2, { online: true, battery: 80 })
    await eventually(async () => (await stationStatus(t)).devices.find((d: any) => d.id === dev.shelf2).battery === 80, 3000, 'battery 80')
    await expectRejected('shelf2', { battery: 12, rssi: -50 }, /\bonline\b/, { topic: 'status' })
  })

  test('a status with online as a string is rejected naming online', async () => {
    await expectRejected('shelf2', { online: 'true', battery: 12 }, /\bonline\b/, { topic: 'status' })
  })

  test('a status that is not JSON is rejected', async () => {
    await expectRejected('shelf2', 'online', /json/i, { topic: 'status' })
  })
})
