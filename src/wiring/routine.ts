import { randomBytes } from 'node:crypto'
import type { AlertEngine } from '../alerts/alert-engine.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Part } from '../lifecycle.ts'
import type { Clock, Timers } from '../ports.ts'
import { InspectionService } from '../routine/inspections.ts'
import type { RoutineStore } from '../routine/routine-store.ts'

/** Short ids a person can read out (runs, trainings, drills). */
export const routineId = () => randomBytes(5).toString('hex')

/**
 * The station's routine (contract v2 §D) as a part. Start it after the alert engine: overdue
 * inspections are reconciled against the engine's unresolved alerts.
 */
export function routinePart(deps: { store: RoutineStore; stations: StationConfig[]; engine: AlertEngine; clock: Clock; timers: Timers }): { inspections: InspectionService; part: Part } {
  const inspections = new InspectionService(deps.stations, deps.store, deps.engine, deps.clock, deps.timers, routineId)
  return { inspections, part: { name: 'routine', start: () => inspections.start(), stop: () => inspections.stop() } }
}
