import type { AuditEvent, EventKind } from '../domain/audit-event.ts'
import { AppError } from '../domain/errors.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Clock, Timers } from '../ports.ts'
import { batchState, judgeLedger, warnDaysOf, type BatchState, type LedgerJudgement } from './expiry.ts'
import { byExpiry, count, issue, receive, writeOff, type Batch, type CountInput, type IssueInput, type LedgerChange, type Movement, type OpContext, type ReceiptInput, type WriteOffInput } from './ledger.ts'
import type { LedgerStore } from './ledger-store.ts'
import { localDate, nextLocalMidnight } from './local-days.ts'

/** One equipment entry as `GET /api/stations/:id/ledger` shows it. */
export interface LedgerItemView {
  itemId: string
  name: string
  code?: string
  category: string
  kind: 'professional' | 'supply'
  min?: number
  expiryWarnDays: number
  /** every unit held, expired ones included */
  quantity: number
  /** units not expired */
  usable: number
  /** batches that still hold something, first-expiring first */
  batches: (Batch & { state: BatchState })[]
}

export type JudgedListener = (station: StationConfig, judgement: LedgerJudgement) => void

const AUDIT_KIND: Record<Movement['kind'], EventKind> = { receipt: 'ledger-receipt', issue: 'ledger-issue', count: 'ledger-count', 'write-off': 'ledger-write-off' }

/**
 * The station ledgers: operations through the store, and the expiry judgement of each station,
 * redone after every movement, at start-up and at each local midnight of the station's zone.
 */
export class LedgerService {
  private readonly stations: Map<string, StationConfig>
  private readonly judged = new Map<string, LedgerJudgement>()
  /**
   * Per station, item → when its ledger stock was first judged below `min` in this low spell, so
   * the spell is one occurrence (alerted once, even after a manual resolve). Kept in memory: after
   * a restart a spell still open keeps its unresolved alert; one resolved by hand is raised again.
   */
  private readonly lowSince = new Map<string, Map<string, number>>()
  private readonly listeners: JudgedListener[] = []
  private timer: unknown
  private started = false
  private stopped = false

  private readonly store: LedgerStore
  private readonly clock: Clock
  private readonly timers: Timers
  private readonly newId: () => string

  constructor(opts: { stations: StationConfig[]; store: LedgerStore; clock: Clock; timers: Timers; /** a new batch id */ newId: () => string }) {
    this.stations = new Map(opts.stations.map((s) => [s.id, s]))
    this.store = opts.store
    this.clock = opts.clock
    this.timers = opts.timers
    this.newId = opts.newId
  }

  onJudged(listener: JudgedListener): void {
    this.listeners.push(listener)
  }

  start(): void {
    this.started = true
    for (const s of this.stations.values()) this.judge(s)
    this.arm()
  }

  /** A station added or reconfigured while running (contract v2 §E): judged again at once. */
  configure(station: StationConfig): void {
    this.stations.set(station.id, station)
    if (!this.started || this.stopped) return
    this.judge(station)
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.arm()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
  }

  station(id: string): StationConfig {
    const s = this.stations.get(id)
    if (!s) throw new AppError('STATION_UNKNOWN', `no station "${id}"`)
    return s
  }

  /** Usable units per item, as of the last judgement (for the station status). */
  usable(station: string): ReadonlyMap<string, number> | undefined {
    return this.judged.get(station)?.usable
  }

  view(stationId: string): LedgerItemView[] {
    const station = this.station(stationId)
    const today = localDate(this.clock.now(), station.timezone)
    const held = this.store.batches(station.id)
    return station.equipment.map((e) => {
      const warn = warnDaysOf(station, e.id)
      const batches = held.filter((b) => b.itemId === e.id).sort(byExpiry).map((b) => ({ ...b, state: batchState(b, today, warn) }))
      return {
        itemId: e.id,
        name: e.name,
        ...(e.code ? { code: e.code } : {}),
        category: e.category,
        kind: e.kind,
        ...(e.min !== undefined ? { min: e.min } : {}),
        expiryWarnDays: warn,
        quantity: batches.reduce((n, b) => n + b.quantity, 0),
        usable: batches.reduce((n, b) => n + (b.state === 'expired' ? 0 : b.quantity), 0),
        batches,
      }
    })
  }

  /** All the station's batches (used-up ones included) and its movements in [from, to], for the export. */
  snapshot(stationId: string, from?: number, to?: number): { station: StationConfig; batches: Batch[]; movements: Movement[] } {
    const station = this.station(stationId)
    return { station, batches: this.store.batches(station.id, true), movements: this.movements(station.id, from, to) }
  }

  movements(stationId: string, from?: number, to?: number, limit = 100_000): Movement[] {
    const station = this.station(stationId)
    return this.store.movements({ station: station.id, limit, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) })
  }

  receive(stationId: string, input: ReceiptInput, by: string): Batch {
    return this.run(stationId, by, (ctx) => receive(ctx, input)).result
  }

  issue(stationId: string, input: IssueInput, by: string) {
    return this.run(stationId, by, (ctx, held) => issue(ctx, held, input)).result
  }

  count(stationId: string, input: CountInput, by: string) {
    return this.run(stationId, by, (ctx, held) => count(ctx, held, input)).result
  }

  writeOff(stationId: string, input: WriteOffInput, by: string) {
    return this.run(stationId, by, (ctx, held) => writeOff(ctx, held, input)).result
  }

  /** Applies `receipts` as the station's first stock, unless its ledger already has a history. */
  seed(stationId: string, receipts: (ReceiptInput & { receivedAt?: number })[], by = 'seed'): boolean {
    const station = this.station(stationId)
    if (receipts.length === 0 || this.store.hasHistory(station.id)) return false
    const now = this.clock.now()
    this.store.transact(
      station.id,
      () => {
        const all: LedgerChange<null> = { batches: [], movements: [], result: null }
        for (const r of receipts) {
          const t = Math.min(r.receivedAt ?? now, now)
          const c = receive({ station, now: t, by, newId: this.newId }, r)
          all.batches.push(...c.batches)
          all.movements.push(...c.movements)
        }
        return all
      },
      (m) => this.auditOf(station, m),
    )
    this.judge(station)
    return true
  }

  private run<T>(stationId: string, by: string, op: (ctx: OpContext, held: readonly Batch[]) => LedgerChange<T>): LedgerChange<T> {
    const station = this.station(stationId)
    const ctx: OpContext = { station, now: this.clock.now(), by, newId: this.newId }
    const change = this.store.transact(station.id, (held) => op(ctx, held), (m) => this.auditOf(station, m))
    this.judge(station)
    return change
  }

  private judge(station: StationConfig): void {
    const since = this.lowSince.get(station.id) ?? new Map<string, number>()
    const j = judgeLedger(station, this.store.batches(station.id), this.clock.now(), since)
    this.lowSince.set(station.id, new Map(j.stockLow.map((c) => [c.itemId, c.occurrence])))
    this.judged.set(station.id, j)
    for (const l of this.listeners) l(station, j)
  }

  /** One timer, to the earliest next local midnight among the stations' zones. */
  private arm(): void {
    if (this.stopped || this.stations.size === 0) return
    const now = this.clock.now()
    let next = Infinity
    for (const tz of new Set([...this.stations.values()].map((s) => s.timezone))) next = Math.min(next, nextLocalMidnight(now, tz))
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined
      if (this.stopped) return
      for (const s of this.stations.values()) this.judge(s)
      this.arm()
    }, next - now)
  }

  private auditOf(station: StationConfig, m: Movement): AuditEvent {
    const parts = [m.batchId ? `batch ${m.batchId}` : undefined, m.reason, m.kind === 'count' ? `book ${m.expected}, counted ${m.counted}, change ${m.delta! > 0 ? '+' : ''}${m.delta}` : undefined, m.note]
    return {
      t: m.t,
      station: station.id,
      kind: AUDIT_KIND[m.kind],
      subject: `item:${m.itemId}`,
      device: '',
      user: m.by,
      value: m.kind === 'count' ? m.delta! : m.quantity,
      detail: parts.filter(Boolean).join('; '),
    }
  }
}
