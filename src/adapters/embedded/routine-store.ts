import type { AuditEvent } from '../../domain/audit-event.ts'
import type { Drill, InspectionRun, RangeQuery, RoutineStore, Training } from '../../routine/routine-store.ts'
import type { Db } from './database.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inspection_since (station TEXT NOT NULL, inspection TEXT NOT NULL, since INTEGER NOT NULL, PRIMARY KEY (station, inspection));
CREATE TABLE IF NOT EXISTS inspection_runs (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, station TEXT NOT NULL, inspection TEXT NOT NULL, t INTEGER NOT NULL,
  user_name TEXT NOT NULL, due_at INTEGER, late INTEGER NOT NULL, results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inspection_runs_station ON inspection_runs (station, inspection, t);
CREATE TABLE IF NOT EXISTS trainings (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, station TEXT NOT NULL, date TEXT NOT NULL, t INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS trainings_station ON trainings (station, date);
CREATE TABLE IF NOT EXISTS drills (id TEXT PRIMARY KEY, station TEXT NOT NULL, alert_id TEXT NOT NULL, started_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS drills_started ON drills (station, started_at);
`

interface RunRow { id: string; station: string; inspection: string; t: number; user_name: string; due_at: number | null; late: number; results: string }

/**
 * Inspection runs, trainings and drills in the embedded database, in tables of their own. Each
 * write is a transaction on the main connection with its audit event (the record store's `events`
 * table, as the ledger does), so a run is on record before it is answered. They are a few a day.
 * The port's Promises are answered already resolved: the statements run synchronously.
 */
export class EmbeddedRoutineStore implements RoutineStore {
  private readonly insertEvent
  private readonly since = new Map<string, number>()

  constructor(private readonly db: Db) {
    db.exec(SCHEMA)
    this.insertEvent = db.prepare('INSERT INTO events (t, station, kind, subject, device, user, value, detail, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
  }

  async inspectionSince(station: string, inspection: string, now: number): Promise<number> {
    // Asked on every view and judgement; written once per inspection.
    const key = `${station}|${inspection}`
    const known = this.since.get(key)
    if (known !== undefined) return known
    this.db.prepare('INSERT OR IGNORE INTO inspection_since (station, inspection, since) VALUES (?, ?, ?)').run(station, inspection, now)
    const since = this.db.prepare<[string, string], { since: number }>('SELECT since FROM inspection_since WHERE station = ? AND inspection = ?').get(station, inspection)!.since
    this.since.set(key, since)
    return since
  }

  addRun(run: InspectionRun, audit: AuditEvent): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO inspection_runs (id, station, inspection, t, user_name, due_at, late, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(run.id, run.station, run.inspection, run.t, run.by, run.dueAt ?? null, run.late ? 1 : 0, JSON.stringify(run.results))
      this.audit(audit)
    }).immediate()
  }

  async runs(q: RangeQuery & { station: string; inspection?: string }): Promise<InspectionRun[]> {
    const { where, args } = range(q, 't')
    if (q.inspection) (where.push('inspection = ?'), args.push(q.inspection))
    return this.db
      .prepare<unknown[], RunRow>(`SELECT * FROM inspection_runs WHERE ${where.join(' AND ')} ORDER BY t DESC, seq DESC LIMIT ?`)
      .all(...args, q.limit)
      .map(runOf)
  }

  async lastCountedRun(station: string, inspection: string): Promise<InspectionRun | undefined> {
    const row = this.db
      .prepare<[string, string], RunRow>('SELECT * FROM inspection_runs WHERE station = ? AND inspection = ? AND due_at IS NOT NULL ORDER BY t DESC, seq DESC LIMIT 1')
      .get(station, inspection)
    return row ? runOf(row) : undefined
  }

  addTraining(training: Training, audit: AuditEvent): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO trainings (id, station, date, t, body) VALUES (?, ?, ?, ?, ?)').run(training.id, training.station, training.date, training.t, JSON.stringify(training))
      this.audit(audit)
    }).immediate()
  }

  async trainings(q: RangeQuery & { station: string; fromDate?: string; toDate?: string }): Promise<Training[]> {
    const where = ['station = ?']
    const args: (string | number)[] = [q.station]
    if (q.fromDate) (where.push('date >= ?'), args.push(q.fromDate))
    if (q.toDate) (where.push('date < ?'), args.push(q.toDate))
    return this.db
      .prepare<unknown[], { body: string }>(`SELECT body FROM trainings WHERE ${where.join(' AND ')} ORDER BY date DESC, seq DESC LIMIT ?`)
      .all(...args, q.limit)
      .map((r) => JSON.parse(r.body) as Training)
  }

  saveDrill(drill: Drill, audit?: AuditEvent): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO drills (id, station, alert_id, started_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body')
        .run(drill.id, drill.station, drill.alertId, drill.startedAt, JSON.stringify(drill))
      if (audit) this.audit(audit)
    }).immediate()
  }

  async drill(id: string): Promise<Drill | undefined> {
    const row = this.db.prepare<[string], { body: string }>('SELECT body FROM drills WHERE id = ?').get(id)
    return row ? (JSON.parse(row.body) as Drill) : undefined
  }

  async drillOfAlert(alertId: string): Promise<Drill | undefined> {
    const row = this.db.prepare<[string], { body: string }>('SELECT body FROM drills WHERE alert_id = ?').get(alertId)
    return row ? (JSON.parse(row.body) as Drill) : undefined
  }

  async drills(q: RangeQuery): Promise<Drill[]> {
    const { where, args } = range(q, 'started_at')
    return this.db
      .prepare<unknown[], { body: string }>(`SELECT body FROM drills WHERE ${where.join(' AND ')} ORDER BY started_at DESC LIMIT ?`)
      .all(...args, q.limit)
      .map((r) => JSON.parse(r.body) as Drill)
  }

  private audit(e: AuditEvent): void {
    this.insertEvent.run(e.t, e.station, e.kind, e.subject, e.device, e.user ?? null, e.value === undefined ? null : JSON.stringify(e.value), e.detail ?? null, e.incident ?? null)
  }
}

function range(q: RangeQuery, column: string): { where: string[]; args: (string | number)[] } {
  const where = ['1 = 1']
  const args: (string | number)[] = []
  if (q.station) (where.push('station = ?'), args.push(q.station))
  if (q.from !== undefined) (where.push(`${column} >= ?`), args.push(q.from))
  if (q.to !== undefined) (where.push(`${column} < ?`), args.push(q.to))
  return { where, args }
}

function runOf(r: RunRow): InspectionRun {
  return { id: r.id, station: r.station, inspection: r.inspection, t: r.t, by: r.user_name, results: JSON.parse(r.results) as InspectionRun['results'], late: r.late === 1, ...(r.due_at !== null ? { dueAt: r.due_at } : {}) }
}
