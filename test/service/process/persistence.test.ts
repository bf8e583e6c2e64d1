// Contract §4 "Alerts, acknowledgements, incidents, users and events survive a restart", and
// issue 2: readings and the last live state survive a restart on the same DATA_DIR.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DeviceClock, fixtureDevices, historyPoints, stationStatus } from '../../helpers/contract.ts'
import { createUser, eventually, login, publishState, startTestService, type TestService } from '../../helpers/service.ts'

const S = 'teststation'
const dev = fixtureDevices(S)
let t: TestService
const before: Record<string, any> = {}
const clk = { doorMain: new DeviceClock(), doorRoom: new DeviceClock(), keybox: new DeviceClock(), shelf: new DeviceClock() }
const door = (s: any, id: string) => s.doors.find((d: any) => d.id === id)
const key = (s: any, id: string) => s.keys.find((k: any) => k.id === id)
const item = (s: any, id: string) => s.equipment.find((e: any) => e.id === id)

beforeAll(async () => {
  t = await startTestService()
  await createUser(t, 'night-staff', 'staff')
  const c = {
    doorMain: await t.device(dev.doorMain),
    doorRoom: await t.device(dev.doorRoom),
    keybox: await t.device(dev.keybox),
    shelf: await t.device(dev.shelf),
  }
  // 李四 takes the main door key and goes in; the equipment room is forced (no key out);
  // water runs low; the spreader is on its shelf.
  await publishState(c.keybox, S, dev.keybox, { ...clk.keybox.next(), slots: { '1': 'key-main-1', '2': 'key-room-1' } })
  await publishState(c.shelf, S, dev.shelf, { ...clk.shelf.next(), items: { 'spreader-1': true, extinguisher: true, water: 30 } })
  await publishState(c.doorMain, S, dev.doorMain, { ...clk.doorMain.next(), open: false })
  await publishState(c.doorRoom, S, dev.doorRoom, { ...clk.doorRoom.next(), open: false })
  await publishState(c.keybox, S, dev.keybox, { ...clk.keybox.next(), slots: { '1': null }, user: '李四' })
  await publishState(c.doorMain, S, dev.doorMain, { ...clk.doorMain.next(), open: true })
  await publishState(c.doorRoom, S, dev.doorRoom, { ...clk.doorRoom.next(), open: true })
  before.lastShelf = { ...clk.shelf.next(), items: { water: 10 } }
  await publishState(c.shelf, S, dev.shelf, before.lastShelf)

  const alerts = await eventually(async () => {
    const r = await t.api(`/api/alerts?station=${S}`)
    return r.body.some((a: any) => a.rule === 'door-forced') && r.body.some((a: any) => a.rule === 'stock-low') ? r.body : undefined
  }, 3000, 'door-forced and stock-low alerts')
  const forced = alerts.find((a: any) => a.rule === 'door-forced')
  const ack = await t.api(`/api/alerts/${forced.id}/ack`, { method: 'POST', body: { note: '已派人查看' } })
  expect(ack.status).toBe(200)
  const incident = await t.api(`/api/stations/${S}/incidents`, { method: 'POST', body: { note: '演练' } })
  expect(incident.status).toBeLessThan(300)

  before.status = await eventually(async () => {
    const s = await stationStatus(t)
    return item(s, 'water').count === 10 ? s : undefined
  }, 3000, 'water at 10')
  before.events = (await t.api(`/api/stations/${S}/events?limit=1000`)).body
  before.alerts = (await t.api('/api/alerts')).body
  before.incident = incident.body
  before.history = {
    door: await historyPoints(t, 'door:main'),
    key: await historyPoints(t, 'key:key-main-1'),
    water: await historyPoints(t, 'item:water'),
  }
  await t.restart()
})
afterAll(async () => {
  await t?.stop()
})

test('users survive a restart and can still log in', async () => {
  await expect(login(t, 'night-staff', 'night-staff-password')).resolves.toEqual(expect.any(String))
})

test('events survive a restart', async () => {
  const after = (await t.api(`/api/stations/${S}/events?limit=1000`)).body as any[]
  expect(before.events.length).toBeGreaterThan(5)
  // Everything recorded before is still there, in the same order (more may have been added since).
  expect(after.slice(after.length - before.events.length)).toEqual(before.events)
})

test('readings (history) survive a restart', async () => {
  expect(before.history.door.length).toBeGreaterThan(0)
  expect(await historyPoints(t, 'door:main')).toEqual(expect.arrayContaining(before.history.door))
  expect(await historyPoints(t, 'key:key-main-1')).toEqual(expect.arrayContaining(before.history.key))
  expect(await historyPoints(t, 'item:water')).toEqual(expect.arrayContaining(before.history.water))
})

test('the live state survives a restart: open door, key out with who took it, counts', async () => {
  const s = await stationStatus(t)
  expect(door(s, 'main').open).toBe(true)
  expect(door(s, 'main').since).toBe(door(before.status, 'main').since)
  expect(door(s, 'equipment-room').open).toBe(true)
  expect(key(s, 'key-main-1')).toMatchObject({ present: false, takenBy: '李四', slot: null })
  expect(key(s, 'key-main-1').since).toBe(key(before.status, 'key-main-1').since)
  expect(key(s, 'key-room-1')).toMatchObject({ present: true, slot: '2' })
  expect(item(s, 'water').count).toBe(10)
  expect(item(s, 'spreader-1').present).toBe(true)
})

test('alerts survive a restart with their state and acknowledgement', async () => {
  const after = (await t.api('/api/alerts')).body as any[]
  expect(before.alerts.length).toBeGreaterThanOrEqual(2)
  for (const a of before.alerts) expect(after).toContainEqual(a)
  const forced = after.find((a) => a.rule === 'door-forced')
  expect(forced).toMatchObject({ state: 'acknowledged', ackedBy: 'admin' })
  // At most one unresolved alert per (station, rule, subject), also after re-judging at start-up.
  const open = after.filter((a) => a.state !== 'resolved').map((a) => `${a.station}|${a.rule}|${a.subject}`)
  expect(open.length).toBe(new Set(open).size)
})

test('an open incident survives a restart', async () => {
  const s = await stationStatus(t)
  expect(s.incident).toMatchObject({ id: before.incident.id, station: S })
})

test('a reading repeated after a restart (same seq and ts) is still a duplicate', async () => {
  const c = await t.device(dev.shelf)
  await publishState(c, S, dev.shelf, { ...before.lastShelf, items: { water: 99 } })
  await publishState(c, S, dev.shelf, { ...clk.shelf.next(), items: { extinguisher: false } })
  const s = await eventually(async () => {
    const x = await stationStatus(t)
    return item(x, 'extinguisher').present === false ? x : undefined
  }, 3000, 'the next reading to be applied')
  expect(item(s, 'water').count).toBe(10)
})
