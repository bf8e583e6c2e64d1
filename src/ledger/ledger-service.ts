import type { AuditEvent, EventKind } from '../domain/audit-event.ts'
import { AppError } from '../domain/errors.ts'
import { KeyedSerial } from '../domain/keyed-serial.ts'
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
  /**
   * One operation or judgement at a time per station. The store's transaction already keeps the
   * stock right; this keeps the judgements in order: with reads that wait, a judgement started
   * after an issue could otherwise be overtaken by one that read the batches before it, and the
   * status and alerts would be left on the older stock.
   */
  private readonly serial = new KeyedSerial()
  private timer: unknown
  private started = false
  private stopped = false

  private readonly store: LedgerStore
  private readonly clock: Clock
  private readonly timers: Timers
  private readonly newId: () => string

  private readonly onError: (err: unknown) => void

  constructor(opts: {
    stations: StationConfig[]
    store: LedgerStore
    clock: Clock
    timers: Timers
    /** a new batch id */
    newId: () => string
    /** a midnight judgement failed (the store did not answer); it is tried again at the next one */
    onError?: (err: unknown) => void
  }) {
    this.stations = new Map(opts.stations.map((s) => [s.id, s]))
    this.store = opts.store
    this.clock = opts.clock
    this.timers = opts.timers
    this.newId = opts.newId
    this.onError = opts.onError ?? (() => undefined)
  }

  onJudged(listener: JudgedListener): void {
    this.listeners.push(listener)
  }

  async start(): Promise<void> {
    this.started = true
    await Promise.all([...this.stations.values()].map((s) => this.judge(s)))
    this.arm()
  }

  /** A station added or reconfigured while running (contract v2 §E): judged again at once. */
  configure(station: StationConfig): void {
    this.stations.set(station.id, station)
    if (!this.started || this.stopped) return
    this.judge(station).catch(this.onError)
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.arm()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
  }

  /**
   * Cluster mode: a station this instance now owns is judged again from the store (another
   * instance kept its ledger until now), so that its stock and expiry alerts follow at once.
   */
  rejudge(stationId: string): Promise<void> {
    const station = this.stations.get(stationId)
    if (!station || !this.started || this.stopped) return Promise.resolve()
    return this.judge(station)
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

  async view(stationId: string): Promise<LedgerItemView[]> {
    const station = this.station(stationId)
    const held = await this.store.batches(station.id)
    const today = localDate(this.clock.now(), station.timezone)
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
  async snapshot(stationId: string, from?: number, to?: number): Promise<{ station: StationConfig; batches: Batch[]; movements: Movement[] }> {
    const station = this.station(stationId)
    const [batches, movements] = await Promise.all([this.store.batches(station.id, true), this.movements(station.id, from, to)])
    return { station, batches, movements }
  }

  movements(stationId: string, from?: number, to?: number, limit = 100_000): Promise<Movement[]> {
    const station = this.station(stationId)
    return this.store.movements({ station: station.id, limit, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) })
  }

  async receive(stationId: string, input: ReceiptInput, by: string): Promise<Batch> {
    return (await this.run(stationId, by, (ctx) => receive(ctx, input))).result
  }

  async issue(stationId: string, input: IssueInput, by: string) {
    return (await this.run(stationId, by, (ctx, held) => issue(ctx, held, input))).result
  }

  async count(stationId: string, input: CountInput, by: string) {
    return (await this.run(stationId, by, (ctx, held) => count(ctx, held, input))).result
  }

  async writeOff(stationId: string, input: WriteOffInput, by: string) {
    return (await this.run(stationId, by, (ctx, held) => writeOff(ctx, held, input))).result
  }

  /** Applies `receipts` as the station's first stock, unless its ledger already has a history. */
  seed(stationId: string, receipts: (ReceiptInput & { receivedAt?: number })[], by = 'seed'): Promise<boolean> {
    const station = this.station(stationId)
    // Asked and applied within the station's turn, so no operation of this service slips in between.
    return this.serial.run(station.id, async () => {
      if (receipts.length === 0 || (await this.store.hasHistory(station.id))) return false
      await this.applySeed(station, receipts, by)
      await this.judgeNow(station)
      return true
    })
  }

  private async applySeed(station: StationConfig, receipts: (ReceiptInput & { receivedAt?: number })[], by: string): Promise<void> {
    const now = this.clock.now()
    await this.store.transact(
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
  }

  private run<T>(stationId: string, by: string, op: (ctx: OpContext, held: readonly Batch[]) => LedgerChange<T>): Promise<LedgerChange<T>> {
    const station = this.station(stationId)
    return this.serial.run(station.id, async () => {
      // The plan runs inside the store's transaction, on the batches as they stand then.
      const ctx: OpContext = { station, now: this.clock.now(), by, newId: this.newId }
      const change = await this.store.transact(station.id, (held) => op(ctx, held), (m) => this.auditOf(station, m))
      await this.judgeNow(station)
      return change
    })
  }

  private judge(station: StationConfig, at?: number): Promise<void> {
    return this.serial.run(station.id, () => this.judgeNow(station, at))
  }

  /** Judges the station's stock as stored now (as of `at`); called only within the station's turn. */
  private async judgeNow(station: StationConfig, at = this.clock.now()): Promise<void> {
    const held = await this.store.batches(station.id)
    const since = this.lowSince.get(station.id) ?? new Map<string, number>()
    const j = judgeLedger(station, held, at, since)
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
      // Judged as of midnight, however long the store takes to answer; the next midnight is armed now.
      const at = this.clock.now()
      for (const s of this.stations.values()) this.judge(s, at).catch(this.onError)
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
