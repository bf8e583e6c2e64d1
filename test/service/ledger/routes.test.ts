import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { createUser, startTestService, type TestService } from '../../helpers/service.ts'
import { ledgerItem, ledgerStation, receipt } from './ledger-fixture.ts'

// Noon of 2026-12-04 in Asia/Shanghai.
const NOON = Date.parse('2026-12-04T04:00:00Z')

describe('ledger routes (contract v2 §C) through the real service and SQLite', () => {
  let t: TestService
  let viewer: string
  let staff: string
  let responder: string
  const time = new FakeTime(NOON)
  const path = (p = '') => `/api/stations/${t.station.id}/ledger${p}`

  beforeAll(async () => {
    t = await startTestService({ stations: [ledgerStation()], clock: time, timers: time })
    viewer = await createUser(t, 'vera', 'viewer')
    staff = await createUser(t, 'stan', 'staff')
    responder = await createUser(t, 'rita', 'responder')
  })
  afterAll(() => t?.stop())

  it('answers 401 without a login, and each route needs its role', async () => {
    expect((await t.api(path(), { token: null })).status).toBe(401)
    expect((await t.api(path(), { token: viewer })).status).toBe(200)
    const writes: [string, unknown][] = [
      ['/receipts', { itemId: 'bandages', quantity: 1 }],
      ['/issues', { itemId: 'bandages', quantity: 1, reason: 'use' }],
      ['/counts', { counts: { bandages: 1 } }],
      ['/write-offs', { batchId: 'nope', reason: 'lost' }],
    ]
    for (const [p, body] of writes) {
      const r = await t.api(path(p), { method: 'POST', body, token: viewer })
      expect(r.status, p).toBe(403)
      expect(r.body.error.code).toBe('FORBIDDEN')
      expect((await t.api(path(p), { method: 'POST', body, token: null })).status, p).toBe(401)
    }
    expect((await t.api(path('/movements'), { token: viewer })).status).toBe(403)
    expect((await t.api(path('/export?format=xlsx'), { token: viewer })).status).toBe(403)
    // staff may, and so may every role above it
    expect((await t.api(path('/movements'), { token: staff })).status).toBe(200)
    expect((await t.api(path('/movements'), { token: responder })).status).toBe(200)
    expect((await t.api(path('/export?format=xlsx'), { token: staff })).status).toBe(200)
    // nothing was changed by the refused writes
    expect((await ledgerItem(t, 'bandages')).quantity).toBe(0)
  })

  it('lists every equipment entry, with its code, 0 without batches', async () => {
    const r = await t.api(path(), { token: viewer })
    expect(r.body.map((i: any) => i.itemId)).toEqual(['spreader-1', 'extinguisher', 'water', 'bandages', 'aed-pads', 'flashlights'])
    const b = r.body.find((i: any) => i.itemId === 'bandages')
    expect(b).toMatchObject({ name: '弹性绷带', code: '1010101', quantity: 0, usable: 0, batches: [] })
    expect(r.body.find((i: any) => i.itemId === 'water').code).toBeUndefined()
    expect((await t.api('/api/stations/nowhere/ledger')).body.error.code).toBe('STATION_UNKNOWN')
  })

  it('refuses bad bodies with a 400 that names the field', async () => {
    const bad: [string, unknown, string][] = [
      ['/receipts', { itemId: 'bandages', quantity: 0 }, 'body.quantity'],
      ['/receipts', { itemId: 'bandages', quantity: 1.5 }, 'body.quantity'],
      ['/receipts', { itemId: 'bandages', quantity: 2, expiresOn: '2026-02-30' }, 'body.expiresOn'],
      ['/receipts', { itemId: 'bandages', quantity: 2, producedOn: '2027-01-02', expiresOn: '2027-01-01' }, 'body.expiresOn'],
      ['/receipts', { quantity: 2 }, 'body.itemId'],
      ['/issues', { itemId: 'bandages', quantity: 1, reason: 'sold' }, 'body.reason'],
      ['/counts', { counts: { bandages: -1 } }, 'body.counts.bandages'],
      ['/counts', { counts: {} }, 'body.counts'],
      ['/write-offs', { batchId: 'x', reason: 'stolen' }, 'body.reason'],
    ]
    for (const [p, body, field] of bad) {
      const r = await t.api(path(p), { method: 'POST', body, token: staff })
      expect(r.status, `${p} ${JSON.stringify(body)}`).toBe(400)
      expect(r.body.error.message.startsWith(`${field}:`), r.body.error.message).toBe(true)
    }
    const unknown = await t.api(path('/receipts'), { method: 'POST', body: { itemId: 'unicorns', quantity: 1 }, token: staff })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toMatch(/^body\.itemId:/)
  })

  it('receives batches and issues the first-expiring first; a named batch is issued from itself', async () => {
    const late = await receipt(t, { itemId: 'flashlights', quantity: 5, expiresOn: '2028-03-01', producedOn: '2026-03-01', spec: 'LED 3W', supplier: '襄阳应急物资公司', note: '年度采购' }, staff)
    expect(late).toMatchObject({ itemId: 'flashlights', quantity: 5, expiresOn: '2028-03-01', producedOn: '2026-03-01', spec: 'LED 3W', supplier: '襄阳应急物资公司', receivedAt: NOON })
    const early = await receipt(t, { itemId: 'flashlights', quantity: 3, expiresOn: '2027-06-10' }, staff)
    const undated = await receipt(t, { itemId: 'flashlights', quantity: 4 }, staff)

    const r = await t.api(path('/issues'), { method: 'POST', body: { itemId: 'flashlights', quantity: 5, reason: 'loan', note: '借给3号院' }, token: staff })
    expect(r.status).toBe(200)
    expect(r.body).toEqual([
      { batchId: early.id, quantity: 3, expiresOn: '2027-06-10', remaining: 0 },
      { batchId: late.id, quantity: 2, expiresOn: '2028-03-01', remaining: 3 },
    ])
    const named = await t.api(path('/issues'), { method: 'POST', body: { itemId: 'flashlights', quantity: 1, batchId: undated.id, reason: 'use' }, token: staff })
    expect(named.body).toEqual([{ batchId: undated.id, quantity: 1, remaining: 3 }])
    const item = await ledgerItem(t, 'flashlights')
    expect(item).toMatchObject({ quantity: 6, usable: 6 })
    // used-up batches leave the list; the rest first-expiring first
    expect(item.batches.map((b: any) => [b.id, b.quantity])).toEqual([
      [late.id, 3],
      [undated.id, 3],
    ])
  })

  it('answers 409 to an issue of more than is usable, and changes nothing', async () => {
    const before = await ledgerItem(t, 'flashlights')
    const r = await t.api(path('/issues'), { method: 'POST', body: { itemId: 'flashlights', quantity: 7, reason: 'use' }, token: staff })
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('CONFLICT')
    const named = await t.api(path('/issues'), { method: 'POST', body: { itemId: 'flashlights', quantity: 4, batchId: before.batches[0].id, reason: 'use' }, token: staff })
    expect(named.status).toBe(409)
    expect(await ledgerItem(t, 'flashlights')).toEqual(before)
  })

  it('never issues expired stock: it is not usable, and must be written off', async () => {
    const old = await receipt(t, { itemId: 'bandages', quantity: 10, expiresOn: '2026-12-03', note: '盘点发现过期' }, staff)
    const good = await receipt(t, { itemId: 'bandages', quantity: 6, expiresOn: '2027-05-01' }, staff)
    expect(await ledgerItem(t, 'bandages')).toMatchObject({ quantity: 16, usable: 6 })
    expect((await t.api(path('/issues'), { method: 'POST', body: { itemId: 'bandages', quantity: 7, reason: 'use' }, token: staff })).status).toBe(409)
    expect((await t.api(path('/issues'), { method: 'POST', body: { itemId: 'bandages', quantity: 1, batchId: old.id, reason: 'use' }, token: staff })).status).toBe(409)
    const ok = await t.api(path('/issues'), { method: 'POST', body: { itemId: 'bandages', quantity: 2, reason: 'use' }, token: staff })
    expect(ok.body).toEqual([{ batchId: good.id, quantity: 2, expiresOn: '2027-05-01', remaining: 4 }])
  })

  it('writes off a whole batch or part of one, never more than it holds', async () => {
    const b = await receipt(t, { itemId: 'extinguisher', quantity: 4, expiresOn: '2030-01-01' }, staff)
    const part = await t.api(path('/write-offs'), { method: 'POST', body: { batchId: b.id, quantity: 1, reason: 'damaged', note: '压力表损坏' }, token: staff })
    expect(part.status).toBe(200)
    expect(part.body.batch.quantity).toBe(3)
    expect(part.body.movement).toMatchObject({ kind: 'write-off', batchId: b.id, quantity: 1, reason: 'damaged', by: 'stan', note: '压力表损坏' })
    expect((await t.api(path('/write-offs'), { method: 'POST', body: { batchId: b.id, quantity: 4, reason: 'lost' }, token: staff })).status).toBe(409)
    const all = await t.api(path('/write-offs'), { method: 'POST', body: { batchId: b.id, reason: 'lost' }, token: staff })
    expect(all.body.batch.quantity).toBe(0)
    expect((await t.api(path('/write-offs'), { method: 'POST', body: { batchId: b.id, reason: 'lost' }, token: staff })).status).toBe(409)
    const unknown = await t.api(path('/write-offs'), { method: 'POST', body: { batchId: 'no-such-batch', reason: 'lost' }, token: staff })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toMatch(/^body\.batchId:/)
    expect((await ledgerItem(t, 'extinguisher')).quantity).toBe(0)
  })

  it('records a count: the differences become adjustments with who and why', async () => {
    // flashlights: 6 on the book (3 + 3); bandages: 14 (10 expired + 4)
    const r = await t.api(path('/counts'), { method: 'POST', body: { counts: { flashlights: 4, bandages: 14, water: 30 }, note: '12月月度盘点' }, token: staff })
    expect(r.status).toBe(200)
    expect(r.body).toEqual([
      { itemId: 'flashlights', expected: 6, counted: 4, difference: -2 },
      { itemId: 'bandages', expected: 14, counted: 14, difference: 0 },
      { itemId: 'water', expected: 0, counted: 30, difference: 30 },
    ])
    expect(await ledgerItem(t, 'flashlights')).toMatchObject({ quantity: 4 })
    const water = await ledgerItem(t, 'water')
    expect(water).toMatchObject({ quantity: 30, usable: 30 })
    const moves = (await t.api(path('/movements'), { token: staff })).body.filter((m: any) => m.kind === 'count')
    expect(moves.map((m: any) => [m.itemId, m.quantity, m.delta, m.expected, m.counted])).toEqual([
      ['flashlights', 2, -2, 6, 4],
      ['bandages', 0, 0, 14, 14],
      ['water', 30, 30, 0, 30],
    ])
    for (const m of moves) expect(m).toMatchObject({ by: 'stan', note: '12月月度盘点', t: NOON })
  })

  it('lists movements in a time range, and each is an audit event with who and when', async () => {
    time.advance(3_600_000)
    await receipt(t, { itemId: 'water', quantity: 12, expiresOn: '2027-12-01', note: '捐赠' }, staff)
    const all = (await t.api(path('/movements'), { token: staff })).body
    for (const m of all) {
      expect(Object.keys(m).every((k) => ['t', 'kind', 'itemId', 'batchId', 'quantity', 'by', 'note', 'reason', 'expected', 'counted', 'delta'].includes(k)), JSON.stringify(m)).toBe(true)
      expect(Number.isInteger(m.quantity) && m.quantity >= 0).toBe(true)
    }
    const later = (await t.api(path(`/movements?from=${NOON + 1}`), { token: staff })).body
    expect(later).toEqual([{ t: NOON + 3_600_000, kind: 'receipt', itemId: 'water', batchId: expect.any(String), quantity: 12, by: 'stan', note: '捐赠' }])
    expect((await t.api(path(`/movements?to=${NOON}`), { token: staff })).body).toHaveLength(all.length - 1)
    expect((await t.api(path('/movements?from=yesterday'), { token: staff })).body.error.message).toMatch(/^query\.from:/)

    const events = (await t.api(`/api/stations/${t.station.id}/events?kind=ledger-receipt,ledger-issue,ledger-count,ledger-write-off&limit=1000`)).body
    expect(events).toHaveLength(all.length)
    expect(events[0]).toMatchObject({ t: NOON + 3_600_000, kind: 'ledger-receipt', subject: 'item:water', user: 'stan', value: 12 })
    expect(events[0].detail).toContain('捐赠')
  })

  it('keeps batches and movements across a restart', async () => {
    const ledger = (await t.api(path())).body
    const movements = (await t.api(path('/movements'), { token: staff })).body
    await t.restart()
    expect((await t.api(path())).body).toEqual(ledger)
    expect((await t.api(path('/movements'))).body).toEqual(movements)
  })
})
