import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { startTestService, type TestService } from '../../helpers/service.ts'
import { ledgerItem, ledgerStation, receipt } from './ledger-fixture.ts'

/** Asia/Shanghai is UTC+8 all year: local midnight of day D is 16:00 UTC of D-1. */
const shanghai = (local: string) => Date.parse(`${local}+08:00`)

describe('expiry rules and readiness from the ledger, on an injected clock in Asia/Shanghai', () => {
  let t: TestService
  const time = new FakeTime(shanghai('2026-12-04T12:00:00'))
  const alerts = async () => (await t.api(`/api/alerts?station=${t.station.id}`)).body as any[]
  /** unresolved alerts of `rule` on the batch (without `state`, the API answers every state) */
  const alertOn = async (rule: string, batchId: string) => (await alerts()).filter((a) => a.rule === rule && a.subject === `batch:${batchId}` && a.state !== 'resolved')
  const status = async () => (await t.api(`/api/stations/${t.station.id}`)).body
  const until = (local: string) => time.advance(shanghai(local) - time.now())
  let bandages: any
  let pads: any
  let lamps: any

  beforeAll(async () => {
    // the station's default warn window is 30 days; bandages carry their own 10
    t = await startTestService({ stations: [ledgerStation('expirystation', { expiryWarnDays: 30 })], clock: time, timers: time })
  })
  afterAll(() => t?.stop())

  it('warns `expiring` from the local midnight that starts the N-th day before the date', async () => {
    bandages = await receipt(t, { itemId: 'bandages', quantity: 25, expiresOn: '2026-12-15' })
    expect(await alertOn('expiring', bandages.id)).toEqual([])
    until('2026-12-04T23:59:59')
    expect(await alertOn('expiring', bandages.id)).toEqual([])
    until('2026-12-05T00:00:00')
    const [a] = await alertOn('expiring', bandages.id)
    expect(a).toMatchObject({ rule: 'expiring', severity: 'warning', state: 'active', openedAt: shanghai('2026-12-05T00:00:00') })
    expect(a.message).toContain('2026-12-15')
    expect((await ledgerItem(t, 'bandages')).batches[0].state).toBe('expiring')
  })

  it('an unsensed item takes presence and count from the usable quantity, and is not stale', async () => {
    pads = await receipt(t, { itemId: 'aed-pads', quantity: 2, expiresOn: '2026-12-05' })
    // inside its 30-day window at once
    expect(await alertOn('expiring', pads.id)).toHaveLength(1)
    const s = await status()
    const eq = (id: string) => s.equipment.find((e: any) => e.id === id)
    expect(eq('aed-pads')).toMatchObject({ present: true, stale: false })
    expect(eq('bandages')).toMatchObject({ count: 25, min: 20, stale: false })
    // nothing received: a counted item with none is low, not "never reported"
    expect(eq('flashlights')).toMatchObject({ count: 0, stale: false })
    expect(s.reasons).toContain('手电筒 is low: 0 of 5')
    expect(s.reasons.some((r: string) => r.includes('除颤电极片'))).toBe(false)
    // a sensed item keeps the device's value and shows the ledger beside it
    expect(eq('water').ledgerQuantity).toBe(0)
    await receipt(t, { itemId: 'water', quantity: 30, expiresOn: '2027-10-01' })
    expect((await status()).equipment.find((e: any) => e.id === 'water')).toMatchObject({ count: null, ledgerQuantity: 30, stale: true })
  })

  it('is `expired` from the local midnight after the date: critical for professional equipment, and no longer present', async () => {
    until('2026-12-05T23:59:59')
    expect(await alertOn('expired', pads.id)).toEqual([])
    expect((await ledgerItem(t, 'aed-pads')).usable).toBe(2)
    until('2026-12-06T00:00:00')
    const [a] = await alertOn('expired', pads.id)
    expect(a).toMatchObject({ severity: 'critical', state: 'active', openedAt: shanghai('2026-12-06T00:00:00') })
    // expiring gave way to expired
    const [warned] = (await t.api(`/api/alerts?station=${t.station.id}&state=resolved`)).body.filter((x: any) => x.rule === 'expiring' && x.subject === `batch:${pads.id}`)
    expect(warned).toMatchObject({ resolvedBy: 'system' })
    expect(await ledgerItem(t, 'aed-pads')).toMatchObject({ quantity: 2, usable: 0 })
    const s = await status()
    expect(s.equipment.find((e: any) => e.id === 'aed-pads')).toMatchObject({ present: false, stale: false })
    expect(s.level).toBe('not-ready')
    expect(s.reasons).toContain('除颤电极片 is missing')
  })

  it('expired supplies are a warning; stock received already expired is flagged at once', async () => {
    lamps = await receipt(t, { itemId: 'flashlights', quantity: 8, expiresOn: '2026-11-30' })
    const [a] = await alertOn('expired', lamps.id)
    expect(a).toMatchObject({ severity: 'warning', state: 'active' })
    expect(await ledgerItem(t, 'flashlights')).toMatchObject({ quantity: 8, usable: 0 })
  })

  it('resolves when the batch is written off or used up', async () => {
    const w = await t.api(`/api/stations/${t.station.id}/ledger/write-offs`, { method: 'POST', body: { batchId: pads.id, reason: 'expired' } })
    expect(w.status).toBe(200)
    expect(await alertOn('expired', pads.id)).toEqual([])
    const resolved = (await t.api(`/api/alerts?station=${t.station.id}&state=resolved`)).body.find((x: any) => x.rule === 'expired' && x.subject === `batch:${pads.id}`)
    expect(resolved).toMatchObject({ resolvedBy: 'system' })
    // a partial issue leaves it expiring; the last units clear it
    await t.api(`/api/stations/${t.station.id}/ledger/issues`, { method: 'POST', body: { itemId: 'bandages', quantity: 20, reason: 'use' } })
    expect(await alertOn('expiring', bandages.id)).toHaveLength(1)
    await t.api(`/api/stations/${t.station.id}/ledger/issues`, { method: 'POST', body: { itemId: 'bandages', quantity: 5, reason: 'transfer' } })
    expect(await alertOn('expiring', bandages.id)).toEqual([])
  })

  it('an expiry alert resolved by hand is not raised again for the same batch, across midnights and a restart', async () => {
    const [a] = await alertOn('expired', lamps.id)
    expect((await t.api(`/api/alerts/${a.id}/resolve`, { method: 'POST', body: { note: '已通知采购' } })).status).toBe(200)
    until('2026-12-08T00:00:00')
    expect(await alertOn('expired', lamps.id)).toEqual([])
    await t.restart()
    expect(await alertOn('expired', lamps.id)).toEqual([])
    expect(await ledgerItem(t, 'flashlights')).toMatchObject({ quantity: 8, usable: 0 })
    // and a new batch still gets its own alert
    const fresh = await receipt(t, { itemId: 'flashlights', quantity: 6, expiresOn: '2026-12-20' })
    expect(await alertOn('expiring', fresh.id)).toHaveLength(1)
  })
})
