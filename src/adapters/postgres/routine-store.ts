import type pg from 'pg'
import type { AuditEvent } from '../../domain/audit-event.ts'
import type { Drill, InspectionRun, RangeQuery, RoutineStore, Training } from '../../routine/routine-store.ts'
import type { GroupWriter } from './group-writer.ts'
import { json, text } from './pool.ts'
import { EVENT_COLUMNS, eventRow } from './record-store.ts'
import { insertRows } from './rows.ts'

interface RunRow { id: string; station: string; inspection: string; t: number; user_name: string; due_at: number | null; late: boolean; results: InspectionRun['results'] }

/**
 * Inspection runs, trainings and drills in PostgreSQL. Each is queued on the group writer with
 * its audit event in the same call, so both are in one batch — one transaction: on record
 * together or not at all, durable once `committed()` resolves. They are a few a day.
 */
export class PostgresRoutineStore implements RoutineStore {
  private readonly insertRun
  private readonly insertTraining
  private readonly upsertDrill
  private readonly insertEvent
  private readonly since = new Map<string, number>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.insertRun = writer.table(
      insertRows('inspection_runs', [
        ['id', 'text'], ['station', 'text'], ['inspection', 'text'], ['t', 'bigint'], ['user_name', 'text'], ['due_at', 'bigint'], ['late', 'boolean'], ['results', 'jsonb'],
      ]),
    )
    this.insertTraining = writer.table(insertRows('trainings', [['id', 'text'], ['station', 'text'], ['date', 'text'], ['t', 'bigint'], ['body', 'jsonb']]))
    this.upsertDrill = writer.table(
      insertRows('drills', [['id', 'text'], ['station', 'text'], ['alert_id', 'text'], ['started_at', 'bigint'], ['body', 'jsonb']], {
        onConflict: 'ON CONFLICT (id) DO UPDATE SET body = excluded.body',
        key: 0,
      }),
    )
    this.insertEvent = writer.table(insertRows('events', EVENT_COLUMNS))
  }

  async inspectionSince(station: string, inspection: string, now: number): Promise<number> {
    // Asked on every view and judgement; written once per inspection (by whichever instance is first).
    const key = `${station}|${inspection}`
    const known = this.since.get(key)
    if (known !== undefined) return known
    await this.pool.query('INSERT INTO inspection_since (station, inspection, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [station, inspection, now])
    const { rows } = await this.pool.query<{ since: number }>('SELECT since FROM inspection_since WHERE station = $1 AND inspection = $2', [station, inspection])
    const since = rows[0]!.since
    this.since.set(key, since)
    return since
  }

  addRun(run: InspectionRun, audit: AuditEvent): void {
    this.insertRun([run.id, run.station, run.inspection, run.t, run.by, run.dueAt ?? null, run.late, json(run.results)])
    this.insertEvent(eventRow(audit))
  }

  async runs(q: RangeQuery & { station: string; inspection?: string }): Promise<InspectionRun[]> {
    const { where, args, arg } = range(q, 't')
    if (q.inspection) where.push(`inspection = ${arg(q.inspection)}`)
    return (await this.select<RunRow>(`SELECT * FROM inspection_runs WHERE ${where.join(' AND ')} ORDER BY t DESC, seq DESC LIMIT ${arg(q.limit)}`, args)).map(runOf)
  }

  async lastCountedRun(station: string, inspection: string): Promise<InspectionRun | undefined> {
    const rows = await this.select<RunRow>(
      'SELECT * FROM inspection_runs WHERE station = $1 AND inspection = $2 AND due_at IS NOT NULL ORDER BY t DESC, seq DESC LIMIT 1',
      [station, inspection],
    )
    return rows[0] ? runOf(rows[0]) : undefined
  }

  addTraining(training: Training, audit: AuditEvent): void {
    this.insertTraining([training.id, training.station, training.date, training.t, json(training)])
    this.insertEvent(eventRow(audit))
  }

  async trainings(q: RangeQuery & { station: string; fromDate?: string; toDate?: string }): Promise<Training[]> {
    const where = ['station = $1']
    const args: unknown[] = [q.station]
    const arg = (v: unknown) => (args.push(v), `$${args.length}`)
    if (q.fromDate) where.push(`date >= ${arg(q.fromDate)}`)
    if (q.toDate) where.push(`date < ${arg(q.toDate)}`)
    const rows = await this.select<{ body: Training }>(`SELECT body FROM trainings WHERE ${where.join(' AND ')} ORDER BY date COLLATE "C" DESC, seq DESC LIMIT ${arg(q.limit)}`, args)
    return rows.map((r) => r.body)
  }

  saveDrill(drill: Drill, audit?: AuditEvent): void {
    this.upsertDrill([drill.id, text(drill.station), drill.alertId, drill.startedAt, json(drill)])
    if (audit) this.insertEvent(eventRow(audit))
  }

  async drill(id: string): Promise<Drill | undefined> {
    return (await this.select<{ body: Drill }>('SELECT body FROM drills WHERE id = $1', [id]))[0]?.body
  }

  async drillOfAlert(alertId: string): Promise<Drill | undefined> {
    return (await this.select<{ body: Drill }>('SELECT body FROM drills WHERE alert_id = $1 ORDER BY started_at DESC LIMIT 1', [alertId]))[0]?.body
  }

  async drills(q: RangeQuery): Promise<Drill[]> {
    const { where, args, arg } = range(q, 'started_at')
    return (await this.select<{ body: Drill }>(`SELECT body FROM drills WHERE ${where.join(' AND ')} ORDER BY started_at DESC LIMIT ${arg(q.limit)}`, args)).map((r) => r.body)
  }

  private async select<R extends pg.QueryResultRow>(sql: string, args: unknown[]): Promise<R[]> {
    await this.writer.committed()
    return (await this.pool.query<R>(sql, args)).rows
  }
}

function range(q: RangeQuery, column: string) {
  const where = ['TRUE']
  const args: unknown[] = []
  const arg = (v: unknown) => (args.push(v), `$${args.length}`)
  if (q.station) where.push(`station = ${arg(q.station)}`)
  if (q.from !== undefined) where.push(`${column} >= ${arg(q.from)}`)
  if (q.to !== undefined) where.push(`${column} < ${arg(q.to)}`)
  return { where, args, arg }
}

function runOf(r: RunRow): InspectionRun {
  return { id: r.id, station: r.station, inspection: r.inspection, t: r.t, by: r.user_name, results: r.results, late: r.late, ...(r.due_at !== null ? { dueAt: r.due_at } : {}) }
}
