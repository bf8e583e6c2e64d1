import type { AlertRecord, Incident } from '../../alerts/alert.ts'
import type { AlertQuery, AlertStore } from '../../alerts/alert-store.ts'
import type { BatchWriter } from './batch-writer.ts'
import type { Db } from './database.ts'

/**
 * Alerts and incidents, written in the same ordered stream as the readings that raised them (the
 * batch writer). A change made from the API is answered once it is committed (see `durable`), so
 * an acknowledgement that was answered survives a crash. Reads flush what is queued first (read
 * your own writes) and answer with resolved Promises: SQLite answers in microseconds.
 */
export class EmbeddedAlertStore implements AlertStore {
  private readonly upsertAlert
  private readonly upsertIncident

  constructor(
    private readonly db: Db,
    private readonly writer: BatchWriter,
  ) {
    this.upsertAlert = writer.table(
      'alerts',
      'INSERT INTO alerts (id, station, rule, subject, state, opened_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body',
    )
    this.upsertIncident = writer.table(
      'incidents',
      'INSERT INTO incidents (id, station, opened_at, closed_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET closed_at = excluded.closed_at, body = excluded.body',
    )
  }

  saveAlert(a: AlertRecord): void {
    this.upsertAlert([a.id, a.station, a.rule, a.subject, a.state, a.openedAt, JSON.stringify(a)])
  }

  durable(): Promise<void> {
    // Cut the batch now: an API answer waits for it, not for the next interval.
    return this.writer.flush()
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    this.writer.flushSync()
    const row = this.db.prepare<[string], { body: string }>('SELECT body FROM alerts WHERE id = ?').get(id)
    return row ? (JSON.parse(row.body) as AlertRecord) : undefined
  }

  async queryAlerts(q: AlertQuery): Promise<AlertRecord[]> {
    this.writer.flushSync()
    const where: string[] = []
    const args: (string | number)[] = []
    if (q.state) (where.push('state = ?'), args.push(q.state))
    if (q.station) (where.push('station = ?'), args.push(q.station))
    if (q.from !== undefined) (where.push('opened_at >= ?'), args.push(q.from))
    if (q.to !== undefined) (where.push('opened_at < ?'), args.push(q.to))
    // Drills are few: the flag is read from the stored body rather than given a column of its own.
    if (q.drill !== undefined) where.push(q.drill ? "json_extract(body, '$.drill') = 1" : "coalesce(json_extract(body, '$.drill'), 0) = 0")
    const sql = `SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY opened_at DESC, rowid DESC LIMIT ?`
    return this.db
      .prepare<unknown[], { body: string }>(sql)
      .all(...args, q.limit)
      .map((r) => JSON.parse(r.body) as AlertRecord)
  }

  async loadForEngine(): Promise<{ unresolved: AlertRecord[]; latestOccurrence: Map<string, number> }> {
    this.writer.flushSync()
    const unresolved = this.db
      .prepare<[], { body: string }>("SELECT body FROM alerts WHERE state != 'resolved'")
      .all()
      .map((r) => JSON.parse(r.body) as AlertRecord)
    const latest = this.db
      .prepare<[], { body: string }>('SELECT body, max(opened_at) FROM alerts GROUP BY station, rule, subject')
      .all()
      .map((r) => JSON.parse(r.body) as AlertRecord)
    return { unresolved, latestOccurrence: new Map(latest.map((a) => [`${a.station}|${a.rule}|${a.subject}`, a.occurrence])) }
  }

  saveIncident(i: Incident): void {
    this.upsertIncident([i.id, i.station, i.openedAt, i.closedAt ?? null, JSON.stringify(i)])
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    this.writer.flushSync()
    const row = this.db.prepare<[string], { body: string }>('SELECT body FROM incidents WHERE id = ?').get(id)
    return row ? (JSON.parse(row.body) as Incident) : undefined
  }

  async openIncidents(): Promise<Incident[]> {
    this.writer.flushSync()
    return this.db
      .prepare<[], { body: string }>('SELECT body FROM incidents WHERE closed_at IS NULL')
      .all()
      .map((r) => JSON.parse(r.body) as Incident)
  }

  async lastIncidentClose(): Promise<Map<string, number>> {
    this.writer.flushSync()
    const rows = this.db.prepare<[], { station: string; closed: number }>('SELECT station, max(closed_at) AS closed FROM incidents WHERE closed_at IS NOT NULL GROUP BY station').all()
    return new Map(rows.map((r) => [r.station, r.closed]))
  }
}
