import type { ExternalCondition } from '../alerts/alert-engine.ts'
import type { RuleName } from '../alerts/alert.ts'
import { AppError } from '../domain/errors.ts'
import type { InspectionConfig, StationConfig } from '../domain/station.ts'
import type { Clock, Timers } from '../ports.ts'
import { pendingDue, runCountsFor } from './inspection-state.ts'
import type { InspectionRun, ItemResult, RoutineStore } from './routine-store.ts'
import { formatLocal } from './local-format.ts'

export const INSPECTION_RULES = ['inspection-overdue'] as const satisfies readonly RuleName[]

/** Where the conditions go: the alert engine. */
export interface RoutineAlerts {
  reconcile(station: string, rules: readonly RuleName[], conditions: readonly ExternalCondition[]): void
  raise(station: string, condition: ExternalCondition): unknown
}

export interface InspectionView {
  id: string
  name: string
  every: InspectionConfig['every']
  due: string
  items: { id: string; text: string }[]
  lastDoneAt: number | null
  lastDoneBy: string | null
  nextDueAt: number
  overdue: boolean
}

// setTimeout's limit; a month-away due time is reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The stations' inspections: what is due when, runs submitted by responders, and the
 * `inspection-overdue` / `inspection-failed` conditions, judged at start-up, after every run and
 * at the next due time (one timer for all stations).
 */
export class InspectionService {
  private readonly stations: Map<string, StationConfig>
  private timer: unknown
  private stopped = false
  /** per station, its nearest due time still ahead at its last judgement */
  private readonly nextJudgement = new Map<string, number>()
  /**
   * Per `station|inspection`: when it was first seen and its newest run that counted for a due
   * time — all that the due time depends on. Read from the store once at start and kept here from
   * then on (this service writes every run), so that a judgement on the timer and a submission
   * decide synchronously: no store read (a Promise) between reading the due time and recording the
   * run, so two runs at once can never both count for the same due time.
   */
  private readonly known = new Map<string, { since: number; lastCounted: InspectionRun | undefined }>()

  constructor(
    stations: StationConfig[],
    private readonly store: RoutineStore,
    private readonly alerts: RoutineAlerts,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly newId: () => string,
  ) {
    this.stations = new Map(stations.map((s) => [s.id, s]))
  }

  async start(): Promise<void> {
    const now = this.clock.now()
    const loads = [...this.stations.values()].flatMap((s) =>
      s.inspections.map(async (insp) => {
        const [since, lastCounted] = await Promise.all([this.store.inspectionSince(s.id, insp.id, now), this.store.lastCountedRun(s.id, insp.id)])
        this.known.set(knownKey(s.id, insp.id), { since, lastCounted })
      }),
    )
    await Promise.all(loads)
    this.judgeAll(true)
  }

  /** A station added or reconfigured while running (contract v2 §E): its inspections judged again. */
  configure(station: StationConfig): void {
    this.stations.set(station.id, station)
    if (this.stopped) return
    this.judge(station)
    this.arm()
  }

  /**
   * Cluster mode: a station this instance now owns — its runs as another instance recorded them
   * are read again from the store, then its inspections judged.
   */
  async reload(stationId: string): Promise<void> {
    const s = this.stations.get(stationId)
    if (!s || this.stopped) return
    const now = this.clock.now()
    await Promise.all(
      s.inspections.map(async (insp) => {
        const [since, lastCounted] = await Promise.all([this.store.inspectionSince(s.id, insp.id, now), this.store.lastCountedRun(s.id, insp.id)])
        this.known.set(knownKey(s.id, insp.id), { since, lastCounted })
      }),
    )
    if (this.stopped || this.stations.get(stationId) !== s) return
    this.judge(s)
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

  inspection(stationId: string, inspectionId: string): { station: StationConfig; inspection: InspectionConfig } {
    const station = this.station(stationId)
    const inspection = station.inspections.find((i) => i.id === inspectionId)
    if (!inspection) throw new AppError('NOT_FOUND', `no inspection "${inspectionId}" at ${station.id}`)
    return { station, inspection }
  }

  /**
   * The due time the inspection waits for now (in the past when it is overdue). `stored`: the last
   * counted run as the store has it, when newer than what this instance knows (in cluster mode a
   * run may have been recorded through the station's owner).
   */
  nextDueAt(station: StationConfig, inspection: InspectionConfig, stored?: InspectionRun): number {
    const known = this.known.get(knownKey(station.id, inspection.id))
    if (!known) throw new Error(`inspections: ${station.id}/${inspection.id} asked before start`)
    const counted = stored && (!known.lastCounted || stored.t > known.lastCounted.t) ? stored : known.lastCounted
    return pendingDue(inspection, station.timezone, known.since, counted)
  }

  async view(stationId: string): Promise<InspectionView[]> {
    const station = this.station(stationId)
    const [lastRuns, counted] = await Promise.all([
      Promise.all(station.inspections.map((insp) => this.store.runs({ station: station.id, inspection: insp.id, limit: 1 }))),
      Promise.all(station.inspections.map((insp) => this.store.lastCountedRun(station.id, insp.id))),
    ])
    const now = this.clock.now()
    return station.inspections.map((insp, i) => {
      const [last] = lastRuns[i]!
      const nextDueAt = this.nextDueAt(station, insp, counted[i])
      return { id: insp.id, name: insp.name, every: insp.every, due: insp.due, items: insp.items, lastDoneAt: last?.t ?? null, lastDoneBy: last?.by ?? null, nextDueAt, overdue: now >= nextDueAt }
    })
  }

  runs(stationId: string, inspectionId: string, limit = 500): Promise<InspectionRun[]> {
    const { station, inspection } = this.inspection(stationId, inspectionId)
    return this.store.runs({ station: station.id, inspection: inspection.id, limit })
  }

  /** Records a walk through the checklist; every item must be answered, and only its items. */
  submit(stationId: string, inspectionId: string, results: Record<string, ItemResult>, by: string): InspectionRun {
    const { station, inspection } = this.inspection(stationId, inspectionId)
    const known = new Set(inspection.items.map((i) => i.id))
    for (const id of Object.keys(results)) if (!known.has(id)) throw new AppError('BAD_REQUEST', `body.results.${id}: not an item of inspection "${inspection.id}"`)
    const missing = inspection.items.find((i) => !(i.id in results))
    if (missing) throw new AppError('BAD_REQUEST', `body.results.${missing.id}: must be answered (${missing.text})`)
    const now = this.clock.now()
    const counts = runCountsFor(now, this.nextDueAt(station, inspection), inspection, station.timezone)
    const run: InspectionRun = { id: this.newId(), station: station.id, inspection: inspection.id, t: now, by, results, late: counts.late, ...(counts.dueAt !== undefined ? { dueAt: counts.dueAt } : {}) }
    const failed = inspection.items.filter((i) => !results[i.id]!.ok)
    const detail = [`${inspection.items.length - failed.length} ok, ${failed.length} not ok`, ...failed.map((i) => `${i.id}${results[i.id]!.note ? `: ${results[i.id]!.note}` : ''}`), counts.late ? 'late' : undefined]
    if (run.dueAt !== undefined) this.known.set(knownKey(station.id, inspection.id), { ...this.known.get(knownKey(station.id, inspection.id))!, lastCounted: run })
    this.store.addRun(run, { t: now, station: station.id, kind: 'inspection-run', subject: `inspection:${inspection.id}`, device: '', user: by, value: failed.length, detail: detail.filter(Boolean).join('; ') })
    for (const item of failed) {
      const note = results[item.id]!.note
      this.alerts.raise(station.id, { rule: 'inspection-failed', subject: `inspection:${inspection.id}:${item.id}`, severity: 'warning', occurrence: now, message: `${inspection.name}: ${item.text} — not OK${note ? `: ${note}` : ''} (${by})` })
    }
    this.judge(station)
    this.arm()
    return run
  }

  /** At start-up every station (an inspection removed from a file clears its alert); then those with inspections. */
  private judgeAll(all = false): void {
    for (const station of this.stations.values()) if (all || station.inspections.length > 0) this.judge(station)
    this.arm()
  }

  private judge(station: StationConfig): void {
    const now = this.clock.now()
    const conditions: ExternalCondition[] = []
    let next = Infinity
    for (const insp of station.inspections) {
      const due = this.nextDueAt(station, insp)
      if (now >= due) conditions.push({ rule: 'inspection-overdue', subject: `inspection:${insp.id}`, severity: 'warning', occurrence: due, message: `${insp.name} was due ${formatLocal(due, station.timezone)} and is not done` })
      else next = Math.min(next, due)
    }
    this.nextJudgement.set(station.id, next)
    this.alerts.reconcile(station.id, INSPECTION_RULES, conditions)
  }

  /** One timer, to the nearest due time still ahead among all stations. */
  private arm(): void {
    if (this.stopped) return
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
    let next = Infinity
    for (const t of this.nextJudgement.values()) next = Math.min(next, t)
    if (next === Infinity) return
    this.timer = this.timers.setTimeout(() => ((this.timer = undefined), this.judgeAll()), Math.min(Math.max(0, next - this.clock.now()), MAX_TIMER_MS))
  }
}

function knownKey(station: string, inspection: string): string {
  return `${station}|${inspection}`
}
