import type { InspectionConfig, StationConfig } from '../domain/station.ts'
import { addDays, localMidnight } from '../ledger/local-days.ts'
import type { Movement } from '../ledger/ledger.ts'
import { ackTimes, type AckTimesReport } from './ack-times.ts'
import type { Drill, InspectionRun, Training } from './routine-store.ts'
import { slotsBetween } from './schedule.ts'

interface AlertLike { station: string; rule: string; severity: string; openedAt: number; ackedAt?: number; ackedBy?: string; resolvedAt?: number }

/** One local day: how long real alerts kept the station from being ready. */
export interface ReadinessDay { date: string; criticalHours: number; warningHours: number; level: 'ready' | 'degraded' | 'not-ready'; alertsOpened: number }
export interface RuleLine { rule: string; opened: number; acknowledged: number; medianSeconds: number | null; worstSeconds: number | null }
/** One due time of an inspection in the month. */
export interface InspectionLine { inspection: string; name: string; dueAt: number; status: 'done' | 'late' | 'missed' | 'pending'; doneAt?: number; doneBy?: string; failedItems: string[] }

export interface MonthlyReport {
  station: StationConfig
  month: string
  from: number
  to: number
  generatedAt: number
  readiness: ReadinessDay[]
  alertsByRule: RuleLine[]
  ackTimes: AckTimesReport
  inspections: InspectionLine[]
  movements: Movement[]
  drills: Drill[]
  trainings: Training[]
}

/** [from, to) of a `YYYY-MM` month in the station's zone. */
export function monthBounds(month: string, tz: string): { from: number; to: number } {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
  return { from: localMidnight(`${month}-01`, tz), to: localMidnight(next, tz) }
}

export interface ReportInput {
  station: StationConfig
  month: string
  now: number
  /** real alerts (no drills) opened before the month's end, unresolved or resolved after its start */
  alerts: readonly AlertLike[]
  /** per inspection: when it was first seen, and its runs */
  inspections: { inspection: InspectionConfig; since: number; runs: readonly InspectionRun[] }[]
  movements: readonly Movement[]
  drills: readonly Drill[]
  trainings: readonly Training[]
}

/**
 * The month at a station, for its leader: readiness day by day, alerts by rule, time to
 * acknowledge, each inspection due time done or missed, ledger movements, drills and trainings.
 * Readiness is judged from the real alerts that were open (critical → not ready, warning →
 * degraded): the live readiness is not kept as a history, the alerts are.
 */
export function monthlyReport(input: ReportInput): MonthlyReport {
  const { station, month, now } = input
  const tz = station.timezone
  const { from, to } = monthBounds(month, tz)
  const inMonth = input.alerts.filter((a) => a.openedAt >= from && a.openedAt < to)
  return {
    station,
    month,
    from,
    to,
    generatedAt: now,
    readiness: readinessDays(input.alerts, month, from, to, now, tz),
    alertsByRule: byRule(inMonth),
    ackTimes: ackTimes({ from, to, station: station.id }, inMonth, input.drills),
    inspections: input.inspections.flatMap((i) => inspectionLines(i.inspection, i.since, i.runs, from, to, now, tz)),
    movements: [...input.movements],
    drills: [...input.drills].sort((a, b) => a.startedAt - b.startedAt),
    trainings: [...input.trainings].sort((a, b) => a.date.localeCompare(b.date)),
  }
}

function readinessDays(alerts: readonly AlertLike[], month: string, from: number, to: number, now: number, tz: string): ReadinessDay[] {
  const days: ReadinessDay[] = []
  for (let date = `${month}-01`, start = from; start < to && start <= now; ) {
    const nextDate = addDays(date, 1)
    const end = Math.min(localMidnight(nextDate, tz), to, now)
    const spans = (severity: string) => alerts.filter((a) => a.severity === severity).map((a) => [Math.max(a.openedAt, start), Math.min(a.resolvedAt ?? now, end)] as const)
    const critical = covered(spans('critical'))
    const warning = covered(spans('warning'))
    days.push({
      date,
      criticalHours: hours(critical),
      warningHours: hours(warning),
      level: critical > 0 ? 'not-ready' : warning > 0 ? 'degraded' : 'ready',
      alertsOpened: alerts.filter((a) => a.openedAt >= start && a.openedAt < end).length,
    })
    date = nextDate
    start = localMidnight(nextDate, tz)
  }
  return days
}

/** The length of the union of intervals (empty ones ignored). */
function covered(spans: (readonly [number, number])[]): number {
  const s = spans.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0])
  let total = 0
  let cur: [number, number] | undefined
  for (const [a, b] of s) {
    if (cur && a <= cur[1]) cur[1] = Math.max(cur[1], b)
    else {
      if (cur) total += cur[1] - cur[0]
      cur = [a, b]
    }
  }
  return total + (cur ? cur[1] - cur[0] : 0)
}

function hours(ms: number): number {
  return Math.round((ms / 3_600_000) * 100) / 100
}

function byRule(alerts: readonly AlertLike[]): RuleLine[] {
  const rules = [...new Set(alerts.map((a) => a.rule))].sort()
  return rules.map((rule) => {
    const of = alerts.filter((a) => a.rule === rule)
    const t = ackTimes({ from: 0, to: 0 }, of, []).real
    return { rule, opened: of.length, acknowledged: t.count, medianSeconds: t.medianSeconds, worstSeconds: t.worstSeconds }
  })
}

function inspectionLines(insp: InspectionConfig, since: number, runs: readonly InspectionRun[], from: number, to: number, now: number, tz: string): InspectionLine[] {
  // Due times before the inspection was first seen were never asked for.
  return slotsBetween(Math.max(from, since + 1), to, insp.every, insp.due, tz).map((dueAt) => {
    const run = runs.find((r) => r.dueAt === dueAt)
    const base = { inspection: insp.id, name: insp.name, dueAt }
    if (!run) return { ...base, status: dueAt > now ? ('pending' as const) : ('missed' as const), failedItems: [] }
    const failedItems = insp.items.filter((i) => run.results[i.id] && !run.results[i.id]!.ok).map((i) => `${i.text}${run.results[i.id]!.note ? `：${run.results[i.id]!.note}` : ''}`)
    return { ...base, status: run.late ? ('late' as const) : ('done' as const), doneAt: run.t, doneBy: run.by, failedItems }
  })
}

