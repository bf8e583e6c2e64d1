import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { eventually, publishState, startTestService, type TestService } from '../../helpers/service.ts'
import { ledgerStation, receipt } from './ledger-fixture.ts'

/** Asia/Shanghai is UTC+8 all year: local midnight of day D is 16:00 UTC of D-1. */
const shanghai = (local: string) => Date.parse(`${local}+08:00`)

describe('stock-low from the ledger for counted items no device reports', () => {
  let t: TestService
  const time = new FakeTime(shanghai('2026-12-04T12:00:00'))
  const until = (local: string) => time.advance(shanghai(local) - time.now())
  const all = async () => (await t.api(`/api/alerts?station=${t.station.id}`)).body as any[]
  const lowOn = async (item: string) => (await all()).filter((a) => a.rule === 'stock-low' && a.subject === `item:${item}`)
  const openLowOn = async (item: string) => (await lowOn(item)).filter((a) => a.state !== 'resolved')
  const post = async (route: string, body: unknown) => {
    const r = await t.api(`/api/stations/${t.station.id}/ledger/${route}`, { method: 'POST', body })
    expect(r.status, r.text).toBeLessThan(300)
    return r.body
  }
  const shelf = () => `${t.station.id}-shelf`

  beforeAll(async () => {
    t = await startTestService({ stations: [ledgerStation('lowstation')], clock: time, timers: time })
  })
  afterAll(() => t?.stop())

  it('an empty ledger is below min at start-up: warnings for the counted items, nothing for the uncounted professional one', async () => {
    expect(await openLowOn('flashlights')).toMatchObject([{ severity: 'warning', state: 'active' }])
    expect(await openLowOn('bandages')).toHaveLength(1)
    // aed-pads (professional, no min, none held): readiness says missing, no alert of the ledger's
    expect((await all()).filter((a) => a.subject === 'item:aed-pads')).toEqual([])
  })

  it('an issue below min raises stock-low at once; a receipt back to min resolves it', async () => {
    await receipt(t, { itemId: 'bandages', quantity: 25, expiresOn: '2027-06-30' })
    expect(await openLowOn('bandages')).toEqual([])
    expect((await lowOn('bandages'))[0]).toMatchObject({ state: 'resolved', resolvedBy: 'system' })

    await post('issues', { itemId: 'bandages', quantity: 10, reason: 'use' })
    const [a] = await openLowOn('bandages')
    expect(a).toMatchObject({ severity: 'warning', state: 'active', openedAt: time.now() })
    expect(a.message).toContain('15')
    // lower still: the same spell, the same alert
    await post('issues', { itemId: 'bandages', quantity: 3, reason: 'use' })
    expect(await openLowOn('bandages')).toMatchObject([{ id: a.id }])

    await receipt(t, { itemId: 'bandages', quantity: 8, expiresOn: '2027-06-30' })
    expect(await openLowOn('bandages')).toEqual([])
    expect((await lowOn('bandages')).find((x) => x.id === a.id)).toMatchObject({ state: 'resolved', resolvedBy: 'system' })
  })

  it('expired units do not count toward min', async () => {
    await receipt(t, { itemId: 'flashlights', quantity: 8, expiresOn: '2026-12-05' })
    expect(await openLowOn('flashlights')).toEqual([])
    until('2026-12-06T00:00:00')
    expect(await openLowOn('flashlights')).toMatchObject([{ state: 'active', openedAt: shanghai('2026-12-06T00:00:00') }])
  })

  it("a sensed item's device-based stock-low is untouched by ledger movements", async () => {
    const device = await t.device(shelf())
    await publishState(device, t.station.id, shelf(), { ts: time.now(), seq: 1, items: { 'spreader-1': true, extinguisher: true, water: 10 } })
    const [water] = await eventually(async () => ((await openLowOn('water')).length === 1 ? openLowOn('water') : undefined), 3000, 'the device stock-low on water')
    // the ledger holds plenty of water and moves it, and re-judges the whole station each time
    await receipt(t, { itemId: 'water', quantity: 40, expiresOn: '2027-10-01' })
    await post('issues', { itemId: 'water', quantity: 5, reason: 'use' })
    await post('issues', { itemId: 'bandages', quantity: 10, reason: 'use' })
    until('2026-12-07T00:00:00')
    expect(await lowOn('water')).toMatchObject([{ id: water.id, state: 'active' }])
  })

  it('a restart keeps the open alerts (no duplicates); one resolved by hand after it stays resolved while the spell lasts', async () => {
    const before = { bandages: await openLowOn('bandages'), flashlights: await openLowOn('flashlights'), water: await openLowOn('water') }
    expect(before.bandages).toHaveLength(1)
    await t.restart()
    for (const [item, open] of Object.entries(before)) expect(await openLowOn(item), item).toMatchObject(open.map((a) => ({ id: a.id, state: 'active' })))

    const [b] = before.bandages
    expect((await t.api(`/api/alerts/${b.id}/resolve`, { method: 'POST', body: { note: '已申请补货' } })).status).toBe(200)
    await post('issues', { itemId: 'bandages', quantity: 1, reason: 'use' })
    until('2026-12-08T00:00:00')
    expect(await openLowOn('bandages')).toEqual([])
    // a new spell after a return to min is a new alert
    await receipt(t, { itemId: 'bandages', quantity: 30 })
    await post('issues', { itemId: 'bandages', quantity: 25, reason: 'transfer' })
    expect(await openLowOn('bandages')).toHaveLength(1)
    expect(await lowOn('bandages')).toHaveLength(4)
  })
})
