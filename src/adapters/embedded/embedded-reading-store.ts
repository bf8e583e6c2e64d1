import type { HistoryPoint, HistoryQuery, Point, ReadingStore, StoreHealth } from '../../ports.ts'
import type { BatchWriter } from './batch-writer.ts'
import type { Db } from './database.ts'

/** Readings in the local SQLite file, when no InfluxDB is configured. */
export class EmbeddedReadingStore implements ReadingStore {
  readonly kind = 'embedded' as const
  private readonly insert: (row: unknown[]) => void
  private readonly raw
  private readonly bucketed

  constructor(
    private readonly db: Db,
    private readonly writer: BatchWriter,
  ) {
    this.insert = writer.table('points', 'INSERT INTO points (t, measurement, station, subject, v, tags, fields) VALUES (?, ?, ?, ?, ?, ?, ?)', [5, 6])
    this.raw = db.prepare<[string, string, number, number, number], { t: number; v: number | null; measurement: string }>(
      'SELECT t, v, measurement FROM points WHERE station = ? AND subject = ? AND t >= ? AND t <= ? ORDER BY t, rowid LIMIT ?',
    )
    // better-sqlite3 binds numbers as REAL: cast, or the division is not a floor.
    // SQLite returns the other columns of the row that holds max(): the last value of each bucket.
    this.bucketed = db.prepare<[number, number, string, string, number, number, number], { t: number; v: number | null; measurement: string; last: number }>(
      'SELECT (t / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS t, v, measurement, max(t) AS last FROM points WHERE station = ? AND subject = ? AND t >= ? AND t <= ? GROUP BY 1 ORDER BY 1 LIMIT ?',
    )
  }

  write(points: Point[]): void {
    for (const p of points) {
      this.insert([p.t, p.measurement, p.station, p.subject, primaryValue(p), p.tags, p.fields])
    }
  }

  async history(q: HistoryQuery): Promise<HistoryPoint[]> {
    await this.writer.flush()
    const rows = q.step
      ? this.bucketed.all(q.step, q.step, q.station, q.subject, q.from, q.to, q.limit)
      : this.raw.all(q.station, q.subject, q.from, q.to, q.limit)
    return rows.map((r) => ({ t: r.t, v: decodeValue(q, r.v) }))
  }

  flush(): Promise<void> {
    return this.writer.flush()
  }

  durable(): Promise<void> {
    return this.writer.committed()
  }

  /** The embedded store drops nothing it was given: a failed commit fails `durable()` instead. */
  position(): number {
    return 0
  }

  kept(): boolean {
    return true
  }

  health(): StoreHealth {
    return { kind: 'embedded', ok: this.db.open, spooled: 0 }
  }

  async close(): Promise<void> {
    await this.writer.flush()
  }
}

/** The one value history reports for a point: open, present, count or online. */
export function primaryValue(p: Point): number | null {
  const f = p.fields
  const v = p.measurement === 'door' ? f.open : p.measurement === 'key' ? f.present : p.measurement === 'item' ? (f.count ?? f.present) : p.measurement === 'device' ? f.online : null
  if (typeof v === 'boolean') return v ? 1 : 0
  return typeof v === 'number' ? v : null
}

function decodeValue(q: HistoryQuery, v: number | null): boolean | number | null {
  if (v === null) return null
  return q.valueType === 'boolean' ? v !== 0 : v
}
