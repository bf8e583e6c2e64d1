import type pg from 'pg'
import type { AlertRecord, Incident } from '../../alerts/alert.ts'
import type { AlertQuery, AlertStore } from '../../alerts/alert-store.ts'
import type { GroupWriter } from './group-writer.ts'
import { json, text } from './pool.ts'
import { insertRows } from './rows.ts'

/**
 * Alerts and incidents in PostgreSQL, written in the same ordered stream as the readings that
 * raised them (the group writer); a change made from the API is answered once `durable()` says
 * it is committed. Each is kept whole as jsonb, with the columns the queries filter on beside it.
 */
export class PostgresAlertStore implements AlertStore {
  private readonly upsertAlert
  private readonly upsertIncident

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.upsertAlert = writer.table(
      insertRows(
        'alerts',
        [['id', 'text'], ['station', 'text'], ['rule', 'text'], ['subject', 'text'], ['state', 'text'], ['opened_at', 'bigint'], ['body', 'jsonb']],
        { onConflict: 'ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body', key: 0 },
      ),
    )
    this.upsertIncident = writer.table(
      insertRows('incidents', [['id', 'text'], ['station', 'text'], ['opened_at', 'bigint'], ['closed_at', 'bigint'], ['body', 'jsonb']], {
        onConflict: 'ON CONFLICT (id) DO UPDATE SET closed_at = excluded.closed_at, body = excluded.body',
        key: 0,
      }),
    )
  }

  saveAlert(a: AlertRecord): void {
    this.upsertAlert([a.id, text(a.station), a.rule, text(a.subject), a.state, a.openedAt, json(a)])
  }

  durable(): Promise<void> {
    return this.writer.committed()
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    return (await this.bodies<AlertRecord>('SELECT body FROM alerts WHERE id = $1', [id]))[0]
  }

  async queryAlerts(q: AlertQuery): Promise<AlertRecord[]> {
    const where: string[] = []
    const args: unknown[] = []
    const arg = (v: unknown) => (args.push(v), `$${args.length}`)
    if (q.state) where.push(`state = ${arg(q.state)}`)
    if (q.station) where.push(`station = ${arg(q.station)}`)
    if (q.from !== undefined) where.push(`opened_at >= ${arg(q.from)}`)
    if (q.to !== undefined) where.push(`opened_at < ${arg(q.to)}`)
    // Drills are few: the flag is read from the stored body rather than given a column of its own.
    if (q.drill !== undefined) where.push(q.drill ? "(body->>'drill')::boolean IS TRUE" : "(body->>'drill')::boolean IS NOT TRUE")
    return this.bodies(`SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY opened_at DESC, seq DESC LIMIT ${arg(q.limit)}`, args)
  }

  async loadForEngine(): Promise<{ unresolved: AlertRecord[]; latestOccurrence: Map<string, number> }> {
    const unresolved = await this.bodies<AlertRecord>("SELECT body FROM alerts WHERE state <> 'resolved' ORDER BY seq")
    const latest = await this.bodies<AlertRecord>('SELECT DISTINCT ON (station, rule, subject) body FROM alerts ORDER BY station, rule, subject, opened_at DESC, seq DESC')
    return { unresolved, latestOccurrence: new Map(latest.map((a) => [`${a.station}|${a.rule}|${a.subject}`, a.occurrence])) }
  }

  saveIncident(i: Incident): void {
    this.upsertIncident([i.id, text(i.station), i.openedAt, i.closedAt ?? null, json(i)])
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    return (await this.bodies<Incident>('SELECT body FROM incidents WHERE id = $1', [id]))[0]
  }

  openIncidents(): Promise<Incident[]> {
    return this.bodies('SELECT body FROM incidents WHERE closed_at IS NULL ORDER BY opened_at, id')
  }

  async lastIncidentClose(): Promise<Map<string, number>> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ station: string; closed: number }>(
      'SELECT station, max(closed_at) AS closed FROM incidents WHERE closed_at IS NOT NULL GROUP BY station',
    )
    return new Map(rows.map((r) => [r.station, r.closed]))
  }

  /** the jsonb bodies a query selects, once what was queued before it is committed */
  private async bodies<T>(sql: string, args: unknown[] = []): Promise<T[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ body: T }>(sql, args)
    return rows.map((r) => r.body)
  }
}
