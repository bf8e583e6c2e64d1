import type pg from 'pg'
import type { HistoryPoint, HistoryQuery, Point, ReadingStore, StoreHealth } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { insertRows } from './rows.ts'

/** The one value history reports for a point (as the embedded store keeps it): open, present, count or online. */
function primaryValue(p: Point): number | null {
  const f = p.fields
  const v = p.measurement === 'door' ? f.open : p.measurement === 'key' ? f.present : p.measurement === 'item' ? (f.count ?? f.present) : p.measurement === 'device' ? f.online : null
  if (typeof v === 'boolean') return v ? 1 : 0
  return typeof v === 'number' ? v : null
}

/**
 * Readings in PostgreSQL, for cluster mode without InfluxDB: written through the state store's
 * group writer, so a reading and the state it changed commit in one transaction.
 */
export class PostgresReadingStore implements ReadingStore {
  readonly kind = 'postgres' as const
  private readonly insert

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.insert = writer.table(
      insertRows('readings', [['t', 'bigint'], ['measurement', 'text'], ['station', 'text'], ['subject', 'text'], ['v', 'float8'], ['tags', 'jsonb'], ['fields', 'jsonb']]),
    )
  }

  write(points: Point[]): void {
    for (const p of points) this.insert([p.t, p.measurement, p.station, p.subject, primaryValue(p), JSON.stringify(p.tags), JSON.stringify(p.fields)])
  }

  async history(q: HistoryQuery): Promise<HistoryPoint[]> {
    await this.writer.committed()
    const { rows } = q.step
      ? await this.pool.query<{ t: string; v: number | null }>(
          `SELECT DISTINCT ON (b) b AS t, v FROM (SELECT (t / $1) * $1 AS b, v, t, id FROM readings WHERE station = $2 AND subject = $3 AND t >= $4 AND t <= $5) x
           ORDER BY b, t DESC, id DESC LIMIT $6`,
          [q.step, q.station, q.subject, q.from, q.to, q.limit],
        )
      : await this.pool.query<{ t: string; v: number | null }>('SELECT t, v FROM readings WHERE station = $1 AND subject = $2 AND t >= $3 AND t <= $4 ORDER BY t, id LIMIT $5', [
          q.station,
          q.subject,
          q.from,
          q.to,
          q.limit,
        ])
    return rows.map((r) => ({ t: Number(r.t), v: r.v === null ? null : q.valueType === 'boolean' ? r.v !== 0 : r.v }))
  }

  flush(): Promise<void> {
    return this.writer.committed()
  }

  durable(): Promise<void> {
    return this.writer.committed()
  }

  /** Nothing is dropped: a commit that fails fails `durable()` instead. */
  position(): number {
    return 0
  }

  kept(): boolean {
    return true
  }

  health(): StoreHealth {
    const err = this.writer.failed ?? this.writer.retrying
    return { kind: 'postgres', ok: !err, spooled: 0, ...(err ? { error: err.message } : {}) }
  }

  async close(): Promise<void> {
    await this.writer.committed().catch(() => undefined)
  }
}
