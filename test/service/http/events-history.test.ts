// Contract §4: the audit trail (`/events`, JSON and CSV) and readings history (`/history`).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DeviceClock, fixtureDevices, historyPoints, sleep } from '../../helpers/contract.ts'
import { eventually, publishState, publishStatus, startTestService, type TestService } from '../../helpers/service.ts'

const S = 'teststation'
const dev = fixtureDevices(S)
const USER = '张三-0042'
let t: TestService
/** Server-side times around each phase of the scenario, for from/to queries. */
const mark: Record<string, number> = {}

async function events(query = ''): Promise<any[]> {
  const r = await t.api(`/api/stations/${S}/events${query}`)
  if (r.status !== 200) throw new Error(`events: ${r.status} ${r.text}`)
  return r.body
}
/** Device events only (alerts and incidents are events too, but not this file's subject). */
const deviceEvents = (list: any[]) => list.filter((e) => !String(e.kind).startsWith('alert-') && !String(e.kind).startsWith('incident-'))
const asBool = (v: unknown) => (typeof v === 'boolean' ? v : v === 1 ? true : v === 0 ? false : v)

beforeAll(async () => {
  t = await startTestService()
  const clk = { door: new DeviceClock(), keybox: new DeviceClock(), shelf: new DeviceClock() }
  const door = await t.device(dev.doorMain)
  const keybox = await t.device(dev.keybox)
  const shelf = await t.device(dev.shelf)
  const phase = async (name: string, fn: () => Promise<void>, settle: () => Promise<unknown>) => {
    await sleep(15)
    mark[`${name}:from`] = Date.now()
    await sleep(5)
    await fn()
    await settle()
    await sleep(5)
    mark[`${name}:to`] = Date.now()
  }
  const count = async (kind: string, n = 1) => eventually(async () => deviceEvents(await events('?limit=1000')).filter((e) => e.kind === kind).length >= n, 3000, `${n} ${kind} event(s)`)

  // 1. devices come online and report the normal state (nothing happened yet but coming online).
  await phase('online', async () => {
    await publishStatus(door, S, dev.doorMain, { online: true, battery: 90 })
    await publishState(door, S, dev.doorMain, { ...clk.door.next(), open: false })
    await publishState(keybox, S, dev.keybox, { ...clk.keybox.next(), slots: { '1': 'key-main-1', '2': 'key-room-1' } })
    await publishState(shelf, S, dev.shelf, { ...clk.shelf.next(), items: { 'spreader-1': true, extinguisher: true, water: 30 } })
  }, () => count('device-online', 3))
  // 2. someone takes the main door key, opens and closes the door, returns the key.
  await phase('key-taken', () => publishState(keybox, S, dev.keybox, { ...clk.keybox.next(), slots: { '1': null }, user: USER }), () => count('key-taken'))
  await phase('door', async () => {
    await publishState(door, S, dev.doorMain, { ...clk.door.next(), open: true })
    await count('door-opened')
    await publishState(door, S, dev.doorMain, { ...clk.door.next(), open: false })
  }, () => count('door-closed'))
  await phase('key-returned', () => publishState(keybox, S, dev.keybox, { ...clk.keybox.next(), slots: { '1': 'key-main-1' }, user: USER }), () => count('key-returned'))
  // 3. equipment moves.
  await phase('items', async () => {
    await publishState(shelf, S, dev.shelf, { ...clk.shelf.next(), items: { 'spreader-1': false } })
    await count('item-removed')
    await publishState(shelf, S, dev.shelf, { ...clk.shelf.next(), items: { 'spreader-1': true } })
    await count('item-returned')
    await publishState(shelf, S, dev.shelf, { ...clk.shelf.next(), items: { water: 20 } })
  }, () => count('count-changed'))
  // 4. the door sensor says goodbye.
  await phase('offline', () => publishStatus(door, S, dev.doorMain, { online: false }), () => count('device-offline'))
})
afterAll(async () => {
  await t?.stop()
})

describe('events', () => {
  test('every event has t, kind, subject and device', async () => {
    const list = await events('?limit=1000')
    expect(list.length).toBeGreaterThan(0)
    for (const e of list) {
      expect(typeof e.t === 'number' || typeof e.t === 'string').toBe(true)
      expect(typeof e.kind).toBe('string')
      expect(typeof e.subject).toBe('string')
      expect(typeof e.device).toBe('string')
    }
  })

  test('a door opening and closing are events with the door subject and its device', async () => {
    const list = deviceEvents(await events('?limit=1000'))
    expect(list.filter((e) => e.kind === 'door-opened')).toEqual([expect.objectContaining({ subject: 'door:main', device: dev.doorMain })])
    expect(list.filter((e) => e.kind === 'door-closed')).toEqual([expect.objectContaining({ subject: 'door:main', device: dev.doorMain })])
  })

  test('a key taken and returned are events carrying the key box’s user', async () => {
    const list = deviceEvents(await events('?limit=1000'))
    expect(list.filter((e) => e.kind === 'key-taken')).toEqual([expect.objectContaining({ subject: 'key:key-main-1', device: dev.keybox, user: USER })])
    expect(list.filter((e) => e.kind === 'key-returned')).toEqual([expect.objectContaining({ subject: 'key:key-main-1', device: dev.keybox, user: USER })])
  })

  test('an item removed and returned, and a count changed, are events', async () => {
    const list = deviceEvents(await events('?limit=1000'))
    expect(list.filter((e) => e.kind === 'item-removed')).toEqual([expect.objectContaining({ subject: 'item:spreader-1', device: dev.shelf })])
    expect(list.filter((e) => e.kind === 'item-returned')).toEqual([expect.objectContaining({ subject: 'item:spreader-1', device: dev.shelf })])
    expect(list.filter((e) => e.kind === 'count-changed')).toEqual([expect.objectContaining({ subject: 'item:water', device: dev.shelf })])
  })

  test('a device coming online and going offline are events', async () => {
    const list = deviceEvents(await events('?limit=1000'))
    const online = list.filter((e) => e.kind === 'device-online')
    expect(online.map((e) => e.device).sort()).toEqual([dev.doorMain, dev.keybox, dev.shelf].sort())
    expect(list.filter((e) => e.kind === 'device-offline')).toEqual([expect.objectContaining({ subject: `device:${dev.doorMain}`, device: dev.doorMain })])
  })

  test('the first report of a normal state is not an event of its own', async () => {
    const list = deviceEvents(await events(`?from=${mark['online:from']}&to=${mark['online:to']}`))
    expect(list.map((e) => e.kind).sort()).toEqual(['device-online', 'device-online', 'device-online'])
  })

  test('events come newest first', async () => {
    const list = await events('?limit=1000')
    const times = list.map((e) => (typeof e.t === 'number' ? e.t : Date.parse(e.t)))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    const kinds = deviceEvents(list).map((e) => e.kind)
    const order = ['device-offline', 'count-changed', 'item-returned', 'item-removed', 'key-returned', 'door-closed', 'door-opened', 'key-taken']
    expect(kinds.slice(0, order.length)).toEqual(order)
  })

  test('from and to in milliseconds select the events in between', async () => {
    const list = deviceEvents(await events(`?from=${mark['door:from']}&to=${mark['door:to']}`))
    expect(list.map((e) => e.kind)).toEqual(['door-closed', 'door-opened'])
  })

  test('from and to in ISO 8601 select the same events', async () => {
    const from = new Date(mark['door:from']!).toISOString()
    const to = new Date(mark['door:to']!).toISOString()
    const list = deviceEvents(await events(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`))
    expect(list.map((e) => e.kind)).toEqual(['door-closed', 'door-opened'])
  })

  test('from alone and to alone bound one side', async () => {
    expect(deviceEvents(await events(`?from=${mark['offline:from']}`)).map((e) => e.kind)).toEqual(['device-offline'])
    const before = deviceEvents(await events(`?to=${mark['online:to']}`))
    expect(before.every((e) => e.kind === 'device-online')).toBe(true)
  })

  test('limit returns the newest N', async () => {
    const all = await events('?limit=1000')
    const two = await events('?limit=2')
    expect(two).toEqual(all.slice(0, 2))
  })

  test.each([
    ['from=yesterday', /query\.from/],
    ['to=not-a-time', /query\.to/],
    ['limit=0', /query\.limit/],
    ['limit=many', /query\.limit/],
  ])('?%s is a 400 naming the field', async (query, field) => {
    const r = await t.api(`/api/stations/${S}/events?${query}`)
    expect(r.status).toBe(400)
    expect(r.body.error.message).toMatch(field)
  })

  test('events of an unknown station are a 404', async () => {
    expect((await t.api('/api/stations/nowhere/events')).status).toBe(404)
  })
})

describe('events as CSV', () => {
  test('format=csv answers text/csv with a header row and one line per event, Chinese intact', async () => {
    const json = await events('?limit=1000')
    const r = await t.api(`/api/stations/${S}/events?limit=1000&format=csv`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(r.headers.get('content-type')).toMatch(/utf-8/i)
    const lines = r.text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0)
    const header = lines[0]!.split(',')
    expect(header).toEqual(expect.arrayContaining(['kind', 'subject', 'device', 'user']))
    expect(lines.length).toBe(json.length + 1)
    expect(r.text).toContain(USER)
    // Same order as JSON: newest first.
    const kindCol = header.indexOf('kind')
    expect(lines.slice(1).map((l) => l.split(',')[kindCol])).toEqual(json.map((e) => e.kind))
  })

  test('format=csv honours from, to and limit', async () => {
    const r = await t.api(`/api/stations/${S}/events?format=csv&from=${mark['door:from']}&to=${mark['door:to']}`)
    const lines = r.text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0)
    expect(lines.length).toBe(deviceEvents(await events(`?from=${mark['door:from']}&to=${mark['door:to']}`)).length + 1)
    const one = await t.api(`/api/stations/${S}/events?format=csv&limit=1`)
    expect(one.text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0)).toHaveLength(2)
  })
})

describe('history', () => {
  test('door history is every reading of the door, oldest first, as {t, v}', async () => {
    const points = await historyPoints(t, 'door:main', `&from=${mark['online:from']}`)
    expect(points.map((p) => asBool(p.v))).toEqual([false, true, false])
    for (const p of points) expect(typeof p.t).toBe('number')
    expect(points.map((p) => p.t)).toEqual([...points.map((p) => p.t)].sort((a, b) => a - b))
    expect(points[1]!.t).toBeGreaterThanOrEqual(mark['door:from']!)
    expect(points[1]!.t).toBeLessThanOrEqual(mark['door:to']!)
  })

  test('the history answer names its subject', async () => {
    const r = await t.api(`/api/stations/${S}/history?subject=door:main`)
    expect(r.status).toBe(200)
    expect(r.body.subject).toBe('door:main')
    expect(Array.isArray(r.body.points)).toBe(true)
  })

  test('key history follows the key in and out of the box', async () => {
    const points = await historyPoints(t, 'key:key-main-1', `&from=${mark['online:from']}`)
    expect(points.map((p) => asBool(p.v))).toEqual([true, false, true])
  })

  test('item history gives presence for a presence item and the count for a counted one', async () => {
    expect((await historyPoints(t, 'item:spreader-1')).map((p) => asBool(p.v))).toEqual([true, false, true])
    expect((await historyPoints(t, 'item:water')).map((p) => p.v)).toEqual([30, 20])
  })

  test('device history follows online and offline', async () => {
    const points = await historyPoints(t, `device:${dev.doorMain}`)
    expect(points.length).toBeGreaterThanOrEqual(2)
    expect(asBool(points[0]!.v)).toBe(true)
    expect(asBool(points.at(-1)!.v)).toBe(false)
  })

  test('from and to (ms and ISO) limit the points', async () => {
    const ms = await historyPoints(t, 'door:main', `&from=${mark['door:from']}&to=${mark['door:to']}`)
    expect(ms.map((p) => asBool(p.v))).toEqual([true, false])
    const iso = await historyPoints(t, 'door:main', `&from=${encodeURIComponent(new Date(mark['door:from']!).toISOString())}&to=${encodeURIComponent(new Date(mark['door:to']!).toISOString())}`)
    expect(iso).toEqual(ms)
    expect(await historyPoints(t, 'door:main', `&from=${Date.now() + 60_000}&to=${Date.now() + 120_000}`)).toEqual([])
  })

  test('step=60s buckets the points and gives each bucket its last value', async () => {
    const raw = await historyPoints(t, 'door:main', `&from=${mark['online:from']}`)
    const stepped = await historyPoints(t, 'door:main', `&from=${mark['online:from']}&step=60s`)
    const buckets = new Set(raw.map((p) => Math.floor(p.t / 60_000)))
    expect(stepped.length).toBe(buckets.size)
    expect(stepped.length).toBeLessThan(raw.length)
    for (const b of stepped) {
      const inside = raw.filter((p) => p.t >= b.t && p.t < b.t + 60_000)
      expect(inside.length, `bucket ${b.t} holds raw points`).toBeGreaterThan(0)
      expect(asBool(b.v)).toBe(asBool(inside.at(-1)!.v))
    }
  })

  test('step on a counted item gives the last count of the bucket', async () => {
    const stepped = await historyPoints(t, 'item:water', '&step=1h')
    expect(stepped.at(-1)!.v).toBe(20)
  })

  test.each([
    ['door:no-such-door'],
    ['key:no-such-key'],
    ['item:no-such-item'],
    ['device:no-such-device'],
    ['window:main'],
    ['main'],
  ])('an unknown subject (%s) is a 4xx', async (subject) => {
    const r = await t.api(`/api/stations/${S}/history?subject=${encodeURIComponent(subject)}`)
    expect(r.status).toBeGreaterThanOrEqual(400)
    expect(r.status).toBeLessThan(500)
    expect(r.body.error.message).toMatch(/subject/)
  })

  test('a bad step is a 400 naming query.step', async () => {
    const r = await t.api(`/api/stations/${S}/history?subject=door:main&step=often`)
    expect(r.status).toBe(400)
    expect(r.body.error.message).toMatch(/query\.step/)
  })

  test('history of an unknown station is a 404', async () => {
    expect((await t.api('/api/stations/nowhere/history?subject=door:main')).status).toBe(404)
  })
})
