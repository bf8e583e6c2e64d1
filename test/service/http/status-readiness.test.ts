// Contract §4 (station status: readiness, level, reasons, stale) and §5 (live push on /ws).
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, test } from 'vitest'
import { DeviceClock, fixtureDevices, sleep, stationStatus } from '../../helpers/contract.ts'
import { eventually, openLive, publishState, publishStatus, startTestService, type TestService } from '../../helpers/service.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

let t: TestService | undefined
afterEach(async () => {
  await t?.stop()
  t = undefined
})

const S = 'teststation'
const dev = fixtureDevices(S)
const door = (s: any, id: string) => s.doors.find((d: any) => d.id === id)
const key = (s: any, id: string) => s.keys.find((k: any) => k.id === id)
const item = (s: any, id: string) => s.equipment.find((e: any) => e.id === id)
const device = (s: any, id: string) => s.devices.find((d: any) => d.id === id)

interface Station {
  t: TestService
  c: Record<'doorMain' | 'doorRoom' | 'keybox' | 'shelf', MqttClient>
  clk: Record<'doorMain' | 'doorRoom' | 'keybox' | 'shelf', DeviceClock>
  state(which: 'doorMain' | 'doorRoom' | 'keybox' | 'shelf', body: object): Promise<void>
  until(pred: (s: any) => boolean, what: string): Promise<any>
}

/** A fresh service whose four devices are connected (optionally with their wills). */
async function station(opts: { will?: boolean; allFine?: boolean } = {}): Promise<Station> {
  const svc = (t = await startTestService())
  const c = {
    doorMain: await svc.device(dev.doorMain, { will: opts.will }),
    doorRoom: await svc.device(dev.doorRoom, { will: opts.will }),
    keybox: await svc.device(dev.keybox, { will: opts.will }),
    shelf: await svc.device(dev.shelf, { will: opts.will }),
  }
  const clk = { doorMain: new DeviceClock(), doorRoom: new DeviceClock(), keybox: new DeviceClock(), shelf: new DeviceClock() }
  const s: Station = {
    t: svc,
    c,
    clk,
    state: (which, body) => publishState(c[which], S, dev[which], { ...clk[which].next(), ...body }),
    until: (pred, what) => eventually(async () => {
      const st = await stationStatus(svc)
      return pred(st) ? st : undefined
    }, 3000, what),
  }
  if (opts.allFine) {
    await s.state('doorMain', { open: false })
    await s.state('doorRoom', { open: false })
    await s.state('keybox', { slots: { '1': 'key-main-1', '2': 'key-room-1' } })
    await s.state('shelf', { items: { 'spreader-1': true, extinguisher: true, water: 30 } })
    await s.until((st) => st.level === 'ready', 'the station to be ready')
  }
  return s
}

describe('station status', () => {
  test('before any device reports, every door, key and item is stale with a null value', async () => {
    const { t } = await station()
    const s = await stationStatus(t)
    for (const d of s.doors) expect(d).toMatchObject({ open: null, stale: true })
    for (const k of s.keys) expect(k).toMatchObject({ present: null, stale: true })
    for (const e of s.equipment) {
      expect(e.stale).toBe(true)
      if (e.min !== undefined) expect(e.count).toBeNull()
      else expect(e.present).toBeNull()
    }
    for (const d of s.devices) expect(d.online).toBe(false)
    // Nothing is confirmed: not ready, but "cannot confirm" is not "missing".
    expect(s.readiness).toBe(0)
    expect(s.level).toBe('degraded')
    expect(s.reasons.length).toBeGreaterThan(0)
    expect(s.activeAlerts).toBe(0)
    expect(s.incident).toBeNull()
  })

  test('everything confirmed fine makes the station ready with readiness 100 and no reasons', async () => {
    const { t } = await station({ allFine: true })
    const s = await stationStatus(t)
    expect(s).toMatchObject({ id: S, name: '测试站', readiness: 100, level: 'ready', reasons: [] })
    for (const x of [...s.doors, ...s.keys, ...s.equipment]) expect(x.stale).toBe(false)
    expect(door(s, 'main')).toMatchObject({ open: false })
    expect(key(s, 'key-main-1')).toMatchObject({ present: true, slot: '1' })
    expect(item(s, 'water')).toMatchObject({ count: 30, min: 24 })
    expect(item(s, 'spreader-1')).toMatchObject({ present: true, kind: 'professional', category: 'breaching' })
    for (const d of s.devices) expect(d.online).toBe(true)
    for (const x of [...s.doors, ...s.keys, ...s.equipment]) expect(typeof x.since).toBe('number')

    const list = await t.api('/api/stations')
    expect(list.status).toBe(200)
    expect(list.body).toEqual([expect.objectContaining({ id: S, name: '测试站', readiness: 100, activeAlerts: 0 })])
  })

  test('a professional item reported absent makes the station not-ready and says which', async () => {
    const st = await station({ allFine: true })
    await st.state('shelf', { items: { 'spreader-1': false } })
    const s = await st.until((x) => item(x, 'spreader-1').present === false, 'the spreader to be absent')
    expect(s.level).toBe('not-ready')
    expect(s.readiness).toBe(90) // 9 of 10 checks: 1 professional item, 2 keys, 1 counted supply, 2 doors, 4 devices
    expect(s.reasons.join(' ')).toContain('液压破拆工具')
  })

  test('a presence supply that is absent does not count against readiness', async () => {
    const st = await station({ allFine: true })
    await st.state('shelf', { items: { extinguisher: false } })
    const s = await st.until((x) => item(x, 'extinguisher').present === false, 'the extinguisher to be absent')
    expect(s.readiness).toBe(100)
    expect(s.level).toBe('ready')
  })

  test('a counted supply below its min makes the station degraded; at min it is fine again', async () => {
    const st = await station({ allFine: true })
    await st.state('shelf', { items: { water: 23 } })
    let s = await st.until((x) => item(x, 'water').count === 23, 'water at 23')
    expect(s.level).toBe('degraded')
    expect(s.readiness).toBe(90)
    expect(s.reasons.join(' ')).toContain('饮用水')
    await st.state('shelf', { items: { water: 24 } })
    s = await st.until((x) => item(x, 'water').count === 24, 'water at 24')
    expect(s.level).toBe('ready')
    expect(s.readiness).toBe(100)
  })

  test('a key out of the box makes the station degraded and shows who took it', async () => {
    const st = await station({ allFine: true })
    await st.state('keybox', { slots: { '1': null }, user: 'badge-0042' })
    const s = await st.until((x) => key(x, 'key-main-1').present === false, 'key-main-1 to be out')
    expect(key(s, 'key-main-1')).toMatchObject({ present: false, takenBy: 'badge-0042', stale: false })
    expect(s.level).toBe('degraded')
    expect(s.readiness).toBe(90)
    expect(s.reasons.join(' ')).toContain('正门钥匙（物业）')
  })

  test('a key put back into the box is present again without takenBy', async () => {
    const st = await station({ allFine: true })
    await st.state('keybox', { slots: { '1': null }, user: 'badge-0042' })
    await st.until((x) => key(x, 'key-main-1').present === false, 'key-main-1 to be out')
    await st.state('keybox', { slots: { '1': 'key-main-1' }, user: 'badge-0042' })
    const s = await st.until((x) => key(x, 'key-main-1').present === true, 'key-main-1 to be back')
    expect(key(s, 'key-main-1').takenBy).toBeUndefined()
    expect(s.level).toBe('ready')
  })

  test('an open door (opened with its key out) makes the station degraded, not not-ready', async () => {
    const st = await station({ allFine: true })
    await st.state('keybox', { slots: { '1': null }, user: 'badge-0042' })
    await st.until((x) => key(x, 'key-main-1').present === false, 'key-main-1 to be out')
    await st.state('doorMain', { open: true })
    await st.until((x) => door(x, 'main').open === true, 'the main door to be open')
    await st.state('keybox', { slots: { '1': 'key-main-1' } })
    const s = await st.until((x) => key(x, 'key-main-1').present === true, 'key-main-1 to be back')
    expect(door(s, 'main')).toMatchObject({ open: true, stale: false })
    expect(s.level).toBe('degraded')
    expect(s.readiness).toBe(90)
    expect(s.reasons.join(' ')).toContain('正门')
  })

  test('a door opened while no key that opens it is out is forced: not-ready', async () => {
    const st = await station({ allFine: true })
    await st.state('doorMain', { open: true })
    const s = await st.until((x) => door(x, 'main').open === true, 'the main door to be open')
    expect(s.level).toBe('not-ready')
    expect(s.reasons.join(' ')).toContain('正门')
  })

  test('a device that reports online:false makes its door stale, keeps the last value, and degrades the station', async () => {
    const st = await station({ allFine: true })
    await st.state('doorMain', { open: false })
    await publishStatus(st.c.doorMain, S, dev.doorMain, { online: false })
    const s = await st.until((x) => device(x, dev.doorMain).online === false, 'the door device to be offline')
    expect(door(s, 'main')).toMatchObject({ open: false, stale: true })
    expect(door(s, 'equipment-room').stale).toBe(false)
    expect(s.level).toBe('degraded')
    expect(s.readiness).toBeLessThan(100)
    expect(s.reasons.join(' ')).toContain(dev.doorMain)
  })

  test('a device coming back (online:true) makes its subjects confirmed again', async () => {
    const st = await station({ allFine: true })
    await publishStatus(st.c.doorMain, S, dev.doorMain, { online: false })
    await st.until((x) => door(x, 'main').stale === true, 'the main door to be stale')
    await publishStatus(st.c.doorMain, S, dev.doorMain, { online: true, battery: 90 })
    const s = await st.until((x) => door(x, 'main').stale === false, 'the main door to be confirmed again')
    expect(device(s, dev.doorMain)).toMatchObject({ online: true, battery: 90 })
    expect(s.level).toBe('ready')
  })

  test('a reader’s will marks its items stale, keeps their last values, and a stale professional item is not "missing"', async () => {
    const st = await station({ allFine: true, will: true })
    await st.state('shelf', { items: { water: 31 } })
    await st.until((x) => item(x, 'water').count === 31, 'water at 31')
    // The connection drops without DISCONNECT: the broker publishes the will {"online":false}.
    st.c.shelf.stream.destroy()
    const s = await st.until((x) => device(x, dev.shelf).online === false, 'the shelf reader to be offline')
    expect(item(s, 'spreader-1')).toMatchObject({ present: true, stale: true })
    expect(item(s, 'extinguisher')).toMatchObject({ present: true, stale: true })
    expect(item(s, 'water')).toMatchObject({ count: 31, stale: true })
    expect(s.level).toBe('degraded')
    expect(s.readiness).toBeLessThan(100)
    const alerts = await st.t.api(`/api/alerts?station=${S}`)
    expect(alerts.body.filter((a: any) => a.rule === 'equipment-missing' || a.rule === 'stock-low')).toEqual([])
  })

  test('a key box’s will marks its keys stale, keeping a key that is out as out', async () => {
    const st = await station({ allFine: true, will: true })
    await st.state('keybox', { slots: { '2': null }, user: 'badge-7' })
    await st.until((x) => key(x, 'key-room-1').present === false, 'key-room-1 to be out')
    st.c.keybox.stream.destroy()
    const s = await st.until((x) => device(x, dev.keybox).online === false, 'the key box to be offline')
    expect(key(s, 'key-room-1')).toMatchObject({ present: false, stale: true })
    expect(key(s, 'key-main-1')).toMatchObject({ present: true, stale: true })
  })

  test('a clean DISCONNECT is not a will: nothing goes stale', async () => {
    const st = await station({ allFine: true, will: true })
    await st.c.doorRoom.endAsync()
    await sleep(300)
    const s = await stationStatus(st.t)
    expect(door(s, 'equipment-room').stale).toBe(false)
  })
})

describe('live push on /ws', () => {
  const two = () => startTestService({ stations: [fixtureStation('alpha'), fixtureStation('beta')] })
  const alpha = fixtureDevices('alpha')
  const beta = fixtureDevices('beta')

  test('a /ws client gets one snapshot with every station and the open alerts on connect', async () => {
    t = await two()
    const live = await openLive(t)
    const snap = await live.next((m) => m.type === 'snapshot')
    expect(snap.stations.map((s: any) => s.id).sort()).toEqual(['alpha', 'beta'])
    expect(snap.stations[0]).toHaveProperty('readiness')
    expect(snap.stations[0]).toHaveProperty('doors')
    expect(Array.isArray(snap.alerts)).toBe(true)
    expect(live.messages.filter((m) => m.type === 'snapshot')).toEqual([])
    live.close()
  })

  test('the snapshot includes active alerts', async () => {
    t = await two()
    const c = await t.device(alpha.doorMain)
    await publishState(c, 'alpha', alpha.doorMain, { ts: Date.now(), seq: 1, open: true }) // no key out: door-forced
    await eventually(async () => (await t!.api('/api/alerts?state=active')).body.length > 0, 3000, 'an active alert')
    const live = await openLive(t)
    const snap = await live.next((m) => m.type === 'snapshot')
    expect(snap.alerts.map((a: any) => a.rule)).toContain('door-forced')
    expect(snap.alerts.every((a: any) => a.state === 'active' || a.state === 'acknowledged')).toBe(true)
    live.close()
  })

  test('a change pushes a station message with the new status', async () => {
    t = await two()
    const live = await openLive(t)
    await live.next((m) => m.type === 'snapshot')
    const c = await t.device(alpha.shelf)
    await publishState(c, 'alpha', alpha.shelf, { ts: Date.now(), seq: 1, items: { water: 7 } })
    const m = await live.next((x) => x.type === 'station' && x.station.id === 'alpha' && item(x.station, 'water').count === 7, 3000)
    expect(m.station).toMatchObject({ id: 'alpha', level: 'degraded' })
    expect(m.station.readiness).toBe((await stationStatus(t, 'alpha')).readiness)
    live.close()
  })

  test('a client subscribed to another station gets no message about this one', async () => {
    t = await two()
    const onlyBeta = await openLive(t)
    const everything = await openLive(t)
    await onlyBeta.next((m) => m.type === 'snapshot')
    await everything.next((m) => m.type === 'snapshot')
    onlyBeta.ws.send(JSON.stringify({ type: 'subscribe', stations: ['beta'] }))
    await sleep(200)

    const a = await t.device(alpha.doorRoom)
    await publishState(a, 'alpha', alpha.doorRoom, { ts: Date.now(), seq: 1, open: false })
    await everything.next((m) => m.type === 'station' && m.station.id === 'alpha', 3000)
    const b = await t.device(beta.doorRoom)
    await publishState(b, 'beta', beta.doorRoom, { ts: Date.now(), seq: 1, open: false })
    await onlyBeta.next((m) => m.type === 'station' && m.station.id === 'beta', 3000)
    await sleep(100)
    const aboutAlpha = onlyBeta.messages.filter((m) => (m.type === 'station' && m.station.id === 'alpha') || (m.type === 'alert' && m.alert.station === 'alpha'))
    expect(aboutAlpha).toEqual([])
    onlyBeta.close()
    everything.close()
  })
})
