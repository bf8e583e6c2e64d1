import type { Severity } from '../alerts/alert.ts'
import { sensedItems, type StationConfig } from '../domain/station.ts'
import { isExpired, type Batch } from './ledger.ts'
import { addDays, daysBetween, localDate, localMidnight, type IsoDate } from './local-days.ts'

export type BatchState = 'ok' | 'expiring' | 'expired'

/** An `expiring` or `expired` condition on one batch, as the alert engine takes it. */
export interface ExpiryCondition {
  rule: 'expiring' | 'expired'
  subject: `batch:${string}`
  batchId: string
  itemId: string
  severity: Severity
  /** when this condition began (a local midnight): the same episode is alerted once */
  occurrence: number
  message: string
}

/** `stock-low` on a counted item no device reports: its usable units are below `min`. */
export interface LedgerStockLow {
  rule: 'stock-low'
  subject: `item:${string}`
  itemId: string
  severity: 'warning'
  /** when this low spell began, as the caller knows it (`lowSince`), else the judgement's `now` */
  occurrence: number
  message: string
}

/** What the rest of the service needs from a station's ledger at one moment. */
export interface LedgerJudgement {
  conditions: ExpiryCondition[]
  /** counted items no device reports whose usable units are below `min` (expired units do not count) */
  stockLow: LedgerStockLow[]
  /** `item:ID` of every item no device reports: the subjects whose `stock-low` the ledger owns */
  ledgerSubjects: ReadonlySet<`item:${string}`>
  /** per item: units not expired (every equipment entry, 0 without batches) */
  usable: Map<string, number>
  /** per item: all units held, expired ones included */
  quantity: Map<string, number>
}

export function warnDaysOf(station: StationConfig, itemId: string): number {
  return station.equipment.find((e) => e.id === itemId)?.expiryWarnDays ?? station.rules.expiryWarnDays
}

/** `expired` once today is past its date; `expiring` from `warnDays` days before its date through that date. */
export function batchState(b: Pick<Batch, 'expiresOn'>, today: IsoDate, warnDays: number): BatchState {
  if (b.expiresOn === undefined) return 'ok'
  if (isExpired(b, today)) return 'expired'
  return daysBetween(today, b.expiresOn) <= warnDays ? 'expiring' : 'ok'
}

/**
 * Pure: the station's expiry conditions, usable quantities and the low stock of items no device
 * reports at `now`, judged by the local date in the station's time zone. Batches used up or
 * written off (quantity 0) carry no condition, so their alerts resolve. `lowSince` (item → when
 * its low spell began) keeps a spell's occurrence across judgements, so it is alerted once.
 */
export function judgeLedger(station: StationConfig, batches: readonly Batch[], now: number, lowSince: ReadonlyMap<string, number> = new Map()): LedgerJudgement {
  const tz = station.timezone
  const today = localDate(now, tz)
  const usable = new Map<string, number>()
  const quantity = new Map<string, number>()
  for (const e of station.equipment) (usable.set(e.id, 0), quantity.set(e.id, 0))
  const items = new Map(station.equipment.map((e) => [e.id, e]))
  const conditions: ExpiryCondition[] = []
  for (const b of batches) {
    const item = items.get(b.itemId)
    if (!item || b.quantity <= 0) continue
    quantity.set(b.itemId, quantity.get(b.itemId)! + b.quantity)
    const warnDays = item.expiryWarnDays ?? station.rules.expiryWarnDays
    const state = batchState(b, today, warnDays)
    if (state !== 'expired') usable.set(b.itemId, usable.get(b.itemId)! + b.quantity)
    if (state === 'ok') continue
    const expiresOn = b.expiresOn!
    if (state === 'expired') {
      conditions.push({
        rule: 'expired',
        subject: `batch:${b.id}`,
        batchId: b.id,
        itemId: b.itemId,
        severity: item.kind === 'professional' ? 'critical' : 'warning',
        occurrence: localMidnight(addDays(expiresOn, 1), tz),
        message: `${item.name} batch ${b.id}: ${b.quantity} expired on ${expiresOn}; not usable, write it off`,
      })
    } else {
      const days = daysBetween(today, expiresOn)
      conditions.push({
        rule: 'expiring',
        subject: `batch:${b.id}`,
        batchId: b.id,
        itemId: b.itemId,
        severity: 'warning',
        occurrence: localMidnight(addDays(expiresOn, -warnDays), tz),
        message: `${item.name} batch ${b.id}: ${b.quantity} expire on ${expiresOn} (${days === 0 ? 'today is the last day' : `in ${days} day${days === 1 ? '' : 's'}`})`,
      })
    }
  }
  const sensed = sensedItems(station)
  const unsensed = station.equipment.filter((e) => !sensed.has(e.id))
  const stockLow: LedgerStockLow[] = []
  for (const e of unsensed) {
    const left = usable.get(e.id)!
    if (e.min === undefined || left >= e.min) continue
    stockLow.push({
      rule: 'stock-low',
      subject: `item:${e.id}`,
      itemId: e.id,
      severity: 'warning',
      occurrence: lowSince.get(e.id) ?? now,
      message: `${e.name} is low: ${left} usable in the ledger, minimum ${e.min}`,
    })
  }
  return { conditions, stockLow, ledgerSubjects: new Set(unsensed.map((e) => `item:${e.id}` as const)), usable, quantity }
}
