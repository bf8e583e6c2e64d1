import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createUser, eventually } from '../../helpers/service.ts'
import { DOOR, KEYBOX, RULES, S, SHELF, startAlertRig, type AlertRig } from './alert-helpers.ts'

let rig: AlertRig
beforeEach(async () => {
  rig = await startAlertRig()
})
afterEach(async () => {
  await rig.t.stop()
})

describe('door-forced', () => {
  test('a door that opens while every key is in the box raises a critical door-forced at once', async () => {
    await rig.door(true)
    const a = await rig.waitAlert('door-forced', 'door:main')
    expect(a).toMatchObject({ station: S, severity: 'critical', state: 'active', escalated: false })
    expect(a.message).toContain('正门')
    const status = (await rig.t.api(`/api/stations/${S}`)).body
    expect(status.level).toBe('not-ready')
  })

  test('a door opened after its key was taken is not forced, and the event says who took the key', async () => {
    await rig.keys({ '1': null, '2': 'key-room-1' }, 'badge-0042')
    await rig.door(true)
    await rig.advance(1)
    expect(await rig.alerts({ rule: 'door-forced' })).toEqual([])
    const events = (await rig.t.api(`/api/stations/${S}/events?kind=door-opened`)).body
    expect(events[0]).toMatchObject({ kind: 'door-opened', subject: 'door:main', user: 'badge-0042' })
    expect(events[0].detail).toContain('key-main-1')
  })

  test('a key for another door does not make the door legitimate', async () => {
    await rig.keys({ '1': 'key-main-1', '2': null }, 'badge-7')
    await rig.door(true)
    await rig.waitAlert('door-forced', 'door:main')
  })

  test('door-forced stays after the door closes, is not duplicated, and a new forcing after resolve is a new alert', async () => {
    await rig.door(true)
    const first = await rig.waitAlert('door-forced', 'door:main')
    await rig.door(false)
    await rig.advance(5)
    await rig.door(true)
    await rig.advance(1)
    let all = await rig.alerts({ rule: 'door-forced' })
    expect(all).toHaveLength(1)
    expect(all[0].state).toBe('active')
    const responder = await createUser(rig.t, 'resp1', 'responder')
    const resolved = await rig.t.api(`/api/alerts/${first.id}/resolve`, { method: 'POST', body: { note: '检查过了' }, token: responder })
    expect(resolved.status).toBe(200)
    expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'resp1' })
    await rig.door(false)
    await rig.door(true)
    all = await eventually(async () => {
      const a = await rig.alerts({ rule: 'door-forced' })
      return a.length === 2 ? a : undefined
    })
    expect(all[0].state).toBe('active')
    expect(all[0].id).not.toBe(first.id)
  })
})

describe('door-open-too-long', () => {
  test('raised at the threshold, not before, and resolved when the door closes', async () => {
    await rig.keys({ '1': null, '2': 'key-room-1' }, 'badge-1')
    await rig.door(true)
    await rig.advance(599)
    expect(await rig.alerts({ rule: 'door-open-too-long' })).toEqual([])
    await rig.advance(1)
    const a = await rig.waitAlert('door-open-too-long', 'door:main')
    expect(a).toMatchObject({ severity: 'warning', state: 'active' })
    expect(a.message).toContain('badge-1')
    await rig.door(false)
    const r = await rig.waitAlert('door-open-too-long', 'door:main', (x) => x.state === 'resolved')
    expect(r.resolvedBy).toBe('system')
  })

  test('a door opened again after being resolved raises a new alert', async () => {
    await rig.keys({ '1': null, '2': 'key-room-1' })
    await rig.door(true)
    await rig.advance(601)
    await rig.waitAlert('door-open-too-long', 'door:main')
    await rig.door(false)
    await rig.door(true)
    await rig.advance(300)
    expect((await rig.alerts({ rule: 'door-open-too-long', state: 'active' })).length).toBe(0)
    await rig.advance(301)
    await eventually(async () => (await rig.alerts({ rule: 'door-open-too-long' })).length === 2)
  })
})

describe('key-overdue', () => {
  test('raised when a key stays out past keyOverdueSeconds, resolved when returned', async () => {
    await rig.keys({ '1': null }, 'badge-9')
    await rig.advance(3599)
    expect(await rig.alerts({ rule: 'key-overdue' })).toEqual([])
    await rig.advance(1)
    const a = await rig.waitAlert('key-overdue', 'key:key-main-1')
    expect(a.message).toContain('badge-9')
    await rig.keys({ '1': 'key-main-1' }, 'badge-9')
    await rig.waitAlert('key-overdue', 'key:key-main-1', (x) => x.state === 'resolved')
  })

  test('a key whose key box went offline is stale and raises no key-overdue of its own', async () => {
    await rig.keys({ '1': null }, 'badge-9')
    await rig.status(KEYBOX, { online: false })
    await rig.advance(4000)
    expect(await rig.alerts({ rule: 'key-overdue' })).toEqual([])
    await rig.waitAlert('device-offline', `device:${KEYBOX}`)
  })
})

describe('equipment-missing', () => {
  test('professional equipment missing is critical at the threshold and resolves when back', async () => {
    await rig.items({ 'spreader-1': false })
    await rig.advance(1799)
    expect(await rig.alerts({ rule: 'equipment-missing' })).toEqual([])
    await rig.advance(1)
    const a = await rig.waitAlert('equipment-missing', 'item:spreader-1')
    expect(a.severity).toBe('critical')
    await rig.items({ 'spreader-1': true })
    await rig.waitAlert('equipment-missing', 'item:spreader-1', (x) => x.state === 'resolved')
  })

  test('a missing supply is a warning', async () => {
    await rig.items({ extinguisher: false })
    await rig.advance(1800)
    expect((await rig.waitAlert('equipment-missing', 'item:extinguisher')).severity).toBe('warning')
  })

  test('an item taken and returned within the threshold raises nothing', async () => {
    await rig.items({ 'spreader-1': false })
    await rig.advance(1000)
    await rig.items({ 'spreader-1': true })
    await rig.advance(3600)
    expect(await rig.alerts()).toEqual([])
  })

  test('items of an offline reader are stale: no equipment-missing, the device-offline alert says it', async () => {
    await rig.items({ 'spreader-1': false })
    await rig.status(SHELF, { online: false })
    await rig.advance(4000)
    expect(await rig.alerts({ rule: 'equipment-missing' })).toEqual([])
    await rig.waitAlert('device-offline', `device:${SHELF}`)
  })
})

describe('stock-low', () => {
  test('raised as soon as a count is below min, resolved at min', async () => {
    await rig.items({ water: 23 })
    const a = await rig.waitAlert('stock-low', 'item:water')
    expect(a).toMatchObject({ severity: 'warning', state: 'active' })
    await rig.items({ water: 10 })
    expect(await rig.alerts({ rule: 'stock-low' })).toHaveLength(1)
    await rig.items({ water: 24 })
    await rig.waitAlert('stock-low', 'item:water', (x) => x.state === 'resolved')
    await rig.items({ water: 5 })
    await eventually(async () => (await rig.alerts({ rule: 'stock-low' })).length === 2)
  })
})

describe('device-offline', () => {
  test('its will raises device-offline at once; heard again resolves it', async () => {
    await rig.status(DOOR, { online: false })
    const a = await rig.waitAlert('device-offline', `device:${DOOR}`)
    expect(a.severity).toBe('warning')
    await rig.status(DOOR, { online: true })
    await rig.waitAlert('device-offline', `device:${DOOR}`, (x) => x.state === 'resolved')
  })

  test('silence for 2.5 heartbeats raises it on the timer and marks the device offline', async () => {
    await rig.t.stop()
    rig = await startAlertRig({ ...RULES, heartbeatSeconds: 60 })
    // The other devices keep talking; the door sensor falls silent.
    for (let i = 0; i < 6; i++) {
      await rig.advance(25)
      for (const d of [KEYBOX, SHELF, `${S}-door-room`]) await rig.status(d, { online: true, battery: 90 })
    }
    const a = await rig.waitAlert('device-offline', `device:${DOOR}`)
    expect(a.state).toBe('active')
    // Raised by the timer at 2.5 heartbeats after it was last heard, not at the next message.
    expect(a.openedAt - rig.t0).toBe(150_000)
    expect(await rig.alerts({ rule: 'device-offline', subject: `device:${KEYBOX}` })).toEqual([])
    const status = (await rig.t.api(`/api/stations/${S}`)).body
    expect(status.devices.find((d: any) => d.id === DOOR).online).toBe(false)
    expect(status.doors.find((d: any) => d.id === 'main').stale).toBe(true)
  })
})

describe('battery-low', () => {
  test('info below the threshold, cleared only 5 points above it', async () => {
    await rig.status(DOOR, { online: true, battery: 19 })
    expect((await rig.waitAlert('battery-low', `device:${DOOR}`)).severity).toBe('info')
    await rig.status(DOOR, { online: true, battery: 22 })
    await rig.advance(1)
    expect((await rig.alerts({ rule: 'battery-low' }))[0].state).toBe('active')
    await rig.status(DOOR, { online: true, battery: 25 })
    await rig.waitAlert('battery-low', `device:${DOOR}`, (x) => x.state === 'resolved')
  })
})

describe('tamper', () => {
  test('critical, and stays until a responder resolves it', async () => {
    await rig.status(SHELF, { online: true, tamper: true })
    const a = await rig.waitAlert('tamper', `device:${SHELF}`)
    expect(a.severity).toBe('critical')
    await rig.status(SHELF, { online: true, tamper: false })
    await rig.advance(10)
    expect((await rig.alerts({ rule: 'tamper' }))[0].state).toBe('active')
    const r = await rig.t.api(`/api/alerts/${a.id}/resolve`, { method: 'POST', body: {} })
    expect(r.body.state).toBe('resolved')
    await rig.status(SHELF, { online: true, tamper: true })
    await eventually(async () => (await rig.alerts({ rule: 'tamper' })).length === 2)
  })
})
