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

/**
 * Where inspection runs, trainings and drills are kept. Part of the StateStore (ports.ts): writes
 * are queued (each with its audit event, committed together), reads return Promises and see the
 * writes queued before them.
 */
export interface RoutineStore {
  /**
   * When the station's inspection was first seen (recorded now if never, in one atomic step: two
   * callers at once get the same answer): its first due time follows it.
   */
  inspectionSince(station: string, inspection: string, now: number): Promise<number>
  /** The run and its audit event, committed together. */
  addRun(run: InspectionRun, audit: AuditEvent): void
  /** newest first */
  runs(q: RangeQuery & { station: string; inspection?: string }): Promise<InspectionRun[]>
  /** the newest run that counted for a due time */
  lastCountedRun(station: string, inspection: string): Promise<InspectionRun | undefined>
  addTraining(training: Training, audit: AuditEvent): void
  /** by date, newest first */
  trainings(q: RangeQuery & { station: string; fromDate?: string; toDate?: string }): Promise<Training[]>
  saveDrill(drill: Drill, audit?: AuditEvent): void
  drill(id: string): Promise<Drill | undefined>
  drillOfAlert(alertId: string): Promise<Drill | undefined>
  /** started in [from, to), newest first */
  drills(q: RangeQuery): Promise<Drill[]>
}
