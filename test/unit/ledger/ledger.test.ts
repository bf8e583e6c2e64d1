import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/domain/errors.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import { judgeLedger } from '../../../src/ledger/expiry.ts'
import { count, issue, type Batch, type OpContext } from '../../../src/ledger/ledger.ts'
import { addDays, localDate, localMidnight, nextLocalMidnight } from '../../../src/ledger/local-days.ts'
import { ledgerStation } from '../../service/ledger/ledger-fixture.ts'

describe('local days', () => {
  it('finds local midnight in a fixed-offset zone and across a DST change', () => {
    expect(new Date(localMidnight('2026-12-06', 'Asia/Shanghai')).toISOString()).toBe('2026-12-05T16:00:00.000Z')
    // New York moves to daylight time at 02:00 on 2026-03-08: that midnight is still EST, the next one EDT
    expect(new Date(localMidnight('2026-03-08', 'America/New_York')).toISOString()).toBe('2026-03-08T05:00:00.000Z')
    expect(new Date(localMidnight('2026-03-09', 'America/New_York')).toISOString()).toBe('2026-03-09T04:00:00.000Z')
    expect(nextLocalMidnight(Date.parse('2026-03-08T05:00:00Z'), 'America/New_York')).toBe(Date.parse('2026-03-09T04:00:00Z'))
    expect(localDate(Date.parse('2026-12-05T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-12-05')
    expect(localDate(Date.parse('2026-12-05T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-12-06')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29')
  })
})

describe('station files: item codes and warn days', () => {
  it('takes a 7-digit GB/T 38565 code and warn days per item, and a station default of 30 days', () => {
    const json = ledgerStation().json as any
    const parsed = stationSchema.parse(json)
    expect(parsed.rules.expiryWarnDays).toBe(30)
    expect(parsed.equipment.find((e) => e.id === 'bandages')).toMatchObject({ code: '1010101', expiryWarnDays: 10 })
    const bad = structuredClone(json)
    bad.equipment[3].code = '10101'
    const r = stationSchema.safeParse(bad)
    expect(r.success).toBe(false)
    expect(r.error!.issues[0]!.path).toEqual(['equipment', 3, 'code'])
    bad.equipment[3].code = '1010101'
    bad.rules = { expiryWarnDays: -1 }
    expect(stationSchema.safeParse(bad).error!.issues[0]!.path).toEqual(['rules', 'expiryWarnDays'])
  })
})

describe('ledger operations (pure)', () => {
  const station = stationSchema.parse(ledgerStation().json)
  let n = 0
  const ctx: OpContext = { station, now: Date.parse('2026-12-04T04:00:00Z'), by: 'stan', newId: () => `id${++n}` }
  const batch = (id: string, quantity: number, expiresOn?: string, receivedAt = 0): Batch => ({ id, itemId: 'bandages', quantity, receivedAt, ...(expiresOn ? { expiresOn } : {}) })

  it('issues first-expiring first, undated last, and skips expired batches', () => {
    const held = [batch('undated', 5), batch('late', 5, '2028-01-01'), batch('expired', 5, '2026-12-03'), batch('early', 2, '2027-01-01')]
    const c = issue(ctx, held, { itemId: 'bandages', quantity: 8, reason: 'use' })
    expect(c.result.map((x) => [x.batchId, x.quantity])).toEqual([
      ['early', 2],
      ['late', 5],
      ['undated', 1],
    ])
    expect(() => issue(ctx, held, { itemId: 'bandages', quantity: 13, reason: 'use' })).toThrow(AppError)
  })

  it('a count takes a shortage off the first-expiring batches and adds a surplus to the newest', () => {
    const held = [batch('old', 3, '2026-12-01', 1), batch('new', 4, '2027-06-01', 2)]
    const short = count(ctx, held, { counts: { bandages: 2 } })
    expect(short.batches.map((b) => [b.id, b.quantity])).toEqual([
      ['old', 0],
      ['new', 2],
    ])
    expect(short.movements.map((m) => [m.batchId, m.delta, m.quantity])).toEqual([
      ['old', -3, 3],
      ['new', -2, 2],
    ])
    const more = count(ctx, held, { counts: { bandages: 9 } })
    expect(more.batches).toEqual([{ ...held[1], quantity: 6 }])
    expect(more.result).toEqual([{ itemId: 'bandages', expected: 7, counted: 9, difference: 2 }])
  })

  it('judges per batch: expiring within the item\'s warn days, expired after the date; usable excludes expired', () => {
    const now = Date.parse('2026-12-05T16:00:00Z') // 2026-12-06 00:00 in Shanghai
    const j = judgeLedger(station, [batch('gone', 3, '2026-12-05'), batch('soon', 4, '2026-12-16'), batch('later', 5, '2026-12-17'), batch('empty', 0, '2026-12-01')], now)
    expect(j.conditions.map((c) => [c.rule, c.batchId, c.severity, new Date(c.occurrence).toISOString()])).toEqual([
      ['expired', 'gone', 'warning', '2026-12-05T16:00:00.000Z'],
      ['expiring', 'soon', 'warning', '2026-12-05T16:00:00.000Z'],
    ])
    expect(j.usable.get('bandages')).toBe(9)
    expect(j.quantity.get('bandages')).toBe(12)
    expect(j.usable.get('aed-pads')).toBe(0)
  })

  it('judges stock-low on counted items no device reports: expired units excluded, a spell dated once', () => {
    const now = Date.parse('2026-12-05T16:00:00Z') // 2026-12-06 00:00 in Shanghai
    const water: Batch = { id: 'w', itemId: 'water', quantity: 1, receivedAt: 0 }
    const lamps: Batch = { id: 'l', itemId: 'flashlights', quantity: 5, receivedAt: 0, expiresOn: '2027-01-01' }
    // 19 units, 15 of them usable: below bandages' min of 20; water (min 24) is sensed, the shelf reader's
    const j = judgeLedger(station, [batch('gone', 4, '2026-12-05'), batch('good', 15, '2027-03-01'), water, lamps], now)
    expect(j.stockLow).toEqual([{ rule: 'stock-low', subject: 'item:bandages', itemId: 'bandages', severity: 'warning', occurrence: now, message: '弹性绷带 is low: 15 usable in the ledger, minimum 20' }])
    expect([...j.ledgerSubjects].sort()).toEqual(['item:aed-pads', 'item:bandages', 'item:flashlights'])
    // a spell already under way keeps its start; flashlights at exactly min are not low
    expect(judgeLedger(station, [batch('good', 15, '2027-03-01'), lamps], now + 60_000, new Map([['bandages', now]])).stockLow.map((c) => [c.itemId, c.occurrence])).toEqual([['bandages', now]])
    expect(judgeLedger(station, [batch('good', 20, '2027-03-01'), lamps], now).stockLow).toEqual([])
  })
})
