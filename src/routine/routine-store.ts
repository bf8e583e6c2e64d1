import type { AuditEvent } from '../domain/audit-event.ts'

export interface ItemResult { ok: boolean; note?: string }

/** One walk through an inspection's checklist. */
export interface InspectionRun {
  id: string
  station: string
  inspection: string
  t: number
  by: string
  results: Record<string, ItemResult>
  /** the due time this run counted for; absent for an extra run in a period already done */
  dueAt?: number
  /** done after its due time */
  late: boolean
}

export interface Training { id: string; station: string; date: string; topic: string; participants: string[]; hours: number; by: string; t: number }

export interface DrillResponse { user: string; ackedAt: number; secondsToAck: number }
export interface Drill {
  id: string
  station: string
  rule: string
  alertId: string
  startedAt: number
  startedBy: string
  note?: string
  endedAt?: number
  endedBy?: string
  responses: DrillResponse[]
}

export interface RangeQuery { station?: string; from?: number; to?: number; limit: number }

/** Where inspection runs, trainings and drills are kept. */
export interface RoutineStore {
  /** When the station's inspection was first seen (recorded now if never): its first due time follows it. */
  inspectionSince(station: string, inspection: string, now: number): number
  /** The run and its audit event, committed together before it returns. */
  addRun(run: InspectionRun, audit: AuditEvent): void
  /** newest first */
  runs(q: RangeQuery & { station: string; inspection?: string }): InspectionRun[]
  /** the newest run that counted for a due time */
  lastCountedRun(station: string, inspection: string): InspectionRun | undefined
  addTraining(training: Training, audit: AuditEvent): void
  /** by date, newest first */
  trainings(q: RangeQuery & { station: string; fromDate?: string; toDate?: string }): Training[]
  saveDrill(drill: Drill, audit?: AuditEvent): void
  drill(id: string): Drill | undefined
  drillOfAlert(alertId: string): Drill | undefined
  /** started in [from, to), newest first */
  drills(q: RangeQuery): Drill[]
}
