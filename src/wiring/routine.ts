import { randomBytes } from 'node:crypto'
import { Histogram, type Registry } from 'prom-client'
import type { AlertEngine } from '../alerts/alert-engine.ts'
import type { AlertStore } from '../alerts/alert-store.ts'
import { publicAlert } from '../alerts/alert.ts'
import type { ServiceHub } from '../app/events.ts'
import { AppError } from '../domain/errors.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Part } from '../lifecycle.ts'
import type { Clock, Timers } from '../ports.ts'
import { ackTimes, type AckTimesReport } from '../routine/ack-times.ts'
import type { Movement } from '../ledger/ledger.ts'
import { DrillService } from '../routine/drills.ts'
import { monthBounds, monthlyReport, type MonthlyReport } from '../routine/monthly-report.ts'
import { InspectionService } from '../routine/inspections.ts'
import type { RoutineStore } from '../routine/routine-store.ts'
import { TrainingService } from '../routine/trainings.ts'

/** Short ids a person can read out (runs, trainings, drills). */
export const routineId = () => randomBytes(5).toString('hex')

export interface Routine {
  /** a station added or reconfigured while running (contract v2 §E) */
  configure(station: StationConfig): void
  inspections: InspectionService
  drills: DrillService
  trainings: TrainingService
  /** `within`: only these stations (a scoped user's) */
  ackTimes(q: { from: number; to: number; station?: string; within?: readonly string[] }): AckTimesReport
  report(station: string, month: string): MonthlyReport
  part: Part
}

/**
 * The station's routine (contract v2 §D): inspections, drills, trainings and time to acknowledge.
 * Start its part after the alert engine: overdue inspections are reconciled against the engine's
 * unresolved alerts. Every acknowledgement — of a real alert, and each person's of a drill — is
 * observed in `stationwatch_time_to_ack_seconds{drill}`.
 */
export function routine(deps: { store: RoutineStore; stations: StationConfig[]; engine: AlertEngine; alerts: AlertStore; hub: ServiceHub; registry: Registry; clock: Clock; timers: Timers; movements: (station: string, from: number, to: number) => Movement[] }): Routine {
  const { store, engine, clock } = deps
  const byId = new Map(deps.stations.map((s) => [s.id, s]))
  const timeToAck = new Histogram({
    name: 'stationwatch_time_to_ack_seconds',
    help: 'Seconds from an alert opening (a drill starting) to a person acknowledging it; drill="true" for drills (each person who acknowledged)',
    labelNames: ['drill'] as const,
    buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600],
    registers: [deps.registry],
  })
  for (const drill of ['true', 'false']) timeToAck.zero({ drill })
  deps.hub.on('alertChanged', (alert, change) => {
    if (change === 'acknowledged' && !alert.drill && alert.ackedAt !== undefined) timeToAck.observe({ drill: 'false' }, (alert.ackedAt - alert.openedAt) / 1000)
  })
  const inspections = new InspectionService(deps.stations, store, engine, clock, deps.timers, routineId)
  const drillAlerts = {
    raise: engine.raise.bind(engine),
    acknowledge: engine.acknowledge.bind(engine),
    resolve: engine.resolve.bind(engine),
    getAlert: (id: string) => {
      const a = deps.alerts.getAlert(id)
      return a ? publicAlert(a) : undefined
    },
  }
  const drills = new DrillService(byId, store, drillAlerts, clock, routineId, (_drill, response) => timeToAck.observe({ drill: 'true' }, response.secondsToAck))
  const trainings = new TrainingService(byId, store, clock, routineId)
  return {
    configure(station) {
      byId.set(station.id, station)
      inspections.configure(station)
    },
    inspections,
    drills,
    trainings,
    ackTimes(q) {
      if (q.station !== undefined && !byId.has(q.station)) throw new AppError('STATION_UNKNOWN', `no station "${q.station}"`)
      const scope = { from: q.from, to: q.to, limit: 1_000_000, ...(q.station ? { station: q.station } : {}) }
      const within = q.within ? new Set(q.within) : undefined
      const inScope = <T extends { station: string }>(rows: T[]) => (within ? rows.filter((r) => within.has(r.station)) : rows)
      return ackTimes(q, inScope(deps.alerts.queryAlerts({ ...scope, drill: false })), inScope(drills.list(scope)))
    },
    report(stationId, month) {
      const station = inspections.station(stationId)
      const { from, to } = monthBounds(month, station.timezone)
      const now = clock.now()
      const alerts = deps.alerts.queryAlerts({ station: station.id, drill: false, to, limit: 1_000_000 }).filter((a) => (a.resolvedAt ?? now) > from)
      return monthlyReport({
        station,
        month,
        now,
        alerts,
        inspections: station.inspections.map((inspection) => ({ inspection, since: store.inspectionSince(station.id, inspection.id, now), runs: store.runs({ station: station.id, inspection: inspection.id, limit: 1_000_000 }) })),
        movements: deps.movements(station.id, from, to - 1),
        drills: store.drills({ station: station.id, from, to, limit: 1_000_000 }),
        trainings: trainings.list(station.id, { fromDate: `${month}-01`, toDate: nextMonth(month) }),
      })
    },
    part: { name: 'routine', start: () => inspections.start(), stop: () => inspections.stop() },
  }
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
}
