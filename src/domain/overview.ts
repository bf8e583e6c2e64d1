import type { ReadinessLevel, StationStatus } from './station-status.ts'

export type OverviewSeverity = 'info' | 'warning' | 'critical'

/** One station's line on the overview of many stations (contract v2 §E). */
export interface OverviewRow {
  id: string
  name: string
  district?: string
  level: ReadinessLevel
  readiness: number
  activeAlerts: number
  /** the worst severity among the station's unresolved real (not drill) alerts; absent when there are none */
  worstSeverity?: OverviewSeverity
}

/** What the overview needs of an alert. */
export interface OverviewAlert {
  station: string
  severity: OverviewSeverity
  drill?: boolean
}

const LEVEL_RANK: Record<ReadinessLevel, number> = { 'not-ready': 0, degraded: 1, ready: 2 }
const SEVERITY_RANK: Record<OverviewSeverity, number> = { info: 0, warning: 1, critical: 2 }

/** "Worst first": not-ready, then degraded, then ready; then lower readiness; then id. */
export function worstFirst(a: Pick<OverviewRow, 'id' | 'level' | 'readiness'>, b: Pick<OverviewRow, 'id' | 'level' | 'readiness'>): number {
  return LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || a.readiness - b.readiness || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The worst severity per station among unresolved alerts; drills never count. */
export function worstSeverities(alerts: Iterable<OverviewAlert>): Map<string, OverviewSeverity> {
  const worst = new Map<string, OverviewSeverity>()
  for (const a of alerts) {
    if (a.drill) continue
    const before = worst.get(a.station)
    if (before === undefined || SEVERITY_RANK[a.severity] > SEVERITY_RANK[before]) worst.set(a.station, a.severity)
  }
  return worst
}

/** Every station's line, worst first. `alerts` are the unresolved ones. */
export function overviewRows(statuses: readonly StationStatus[], alerts: Iterable<OverviewAlert>): OverviewRow[] {
  const worst = worstSeverities(alerts)
  return statuses
    .map((s): OverviewRow => {
      const severity = worst.get(s.id)
      return {
        id: s.id,
        name: s.name,
        ...(s.district !== undefined ? { district: s.district } : {}),
        level: s.level,
        readiness: s.readiness,
        activeAlerts: s.activeAlerts,
        ...(severity !== undefined ? { worstSeverity: severity } : {}),
      }
    })
    .sort(worstFirst)
}
