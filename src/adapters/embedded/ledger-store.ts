import type { AuditEvent } from '../../domain/audit-event.ts'
import type { Batch, LedgerChange, Movement } from '../../ledger/ledger.ts'
import type { LedgerStore, MovementQuery } from '../../ledger/ledger-store.ts'
import type { Db } from './database.ts'
import { toBatch, toMovement, type BatchRow, type MovementRow } from '../../storage/state-rows.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_batches (
  id TEXT PRIMARY KEY, station TEXT NOT NULL, item TEXT NOT NULL, quantity INTEGER NOT NULL CHECK (quantity >= 0),
  produced_on TEXT, expires_on TEXT, spec TEXT, supplier TEXT, received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_batches_station ON ledger_batches (station, item);
CREATE TABLE IF NOT EXISTS ledger_movements (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, station TEXT NOT NULL, t INTEGER NOT NULL, kind TEXT NOT NULL,
  item TEXT NOT NULL, batch TEXT, quantity INTEGER NOT NULL CHECK (quantity >= 0), user_name TEXT NOT NULL, note TEXT,
  reason TEXT, expected INTEGER, counted INTEGER, delta INTEGER
);
CREATE INDEX IF NOT EXISTS ledger_movements_station_t ON ledger_movements (station, t);
`


/**
 * The ledger in the embedded database, in tables of its own.
 *
 * Each operation is one `BEGIN IMMEDIATE` transaction on the main connection, not a write queued
 * on the batch writer's thread: an issue must read the stock, decide, and write in one step that no
 * other issue can interleave with, and must know it succeeded before it answers (a 409 or the
 * batches taken). The writer thread's group commit cannot read-then-decide, and its rows would be
 * committed only later. IMMEDIATE takes SQLite's write lock before the read, so even another process
 * on the same file cannot slip in between; the CHECK constraints are a last guard against a
 * negative stock. Ledger operations are a few a minute, so waiting on the lock for the writer's
 * current commit (milliseconds; busy_timeout bounds it) costs the event loop nothing that matters.
 *
 * The movement's audit event is inserted in the same transaction (into the record store's `events`
 * table, with its column layout), so the stock change and its trail entry are committed together
 * or not at all; the record store's reads see it like any committed row.
 */
export class EmbeddedLedgerStore implements LedgerStore {
  private readonly selectBatches
  private readonly selectHeld
  private readonly upsertBatch
  private readonly insertMovement
  private readonly insertEvent
  private readonly anyMovement

  constructor(private readonly db: Db) {
    db.exec(SCHEMA)
    this.selectBatches = db.prepare<[string], BatchRow>('SELECT * FROM ledger_batches WHERE station = ? ORDER BY received_at, id')
    this.selectHeld = db.prepare<[string], BatchRow>('SELECT * FROM ledger_batches WHERE station = ? AND quantity > 0 ORDER BY received_at, id')
    this.upsertBatch = db.prepare(
      `INSERT INTO ledger_batches (id, station, item, quantity, produced_on, expires_on, spec, supplier, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET quantity = excluded.quantity`,
    )
    this.insertMovement = db.prepare(
      'INSERT INTO ledger_movements (id, station, t, kind, item, batch, quantity, user_name, note, reason, expected, counted, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.insertEvent = db.prepare('INSERT INTO events (t, station, kind, subject, device, user, value, detail, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    this.anyMovement = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM ledger_movements WHERE station = ? LIMIT 1')
  }

  async batches(station: string, includeUsedUp = false): Promise<Batch[]> {
    return (includeUsedUp ? this.selectBatches : this.selectHeld).all(station).map(toBatch)
  }

  async movements(q: MovementQuery): Promise<Movement[]> {
    const where = ['station = ?']
    const args: (string | number)[] = [q.station]
    if (q.from !== undefined) (where.push('t >= ?'), args.push(q.from))
    if (q.to !== undefined) (where.push('t <= ?'), args.push(q.to))
    return this.db
      .prepare<unknown[], MovementRow>(`SELECT * FROM ledger_movements WHERE ${where.join(' AND ')} ORDER BY t, seq LIMIT ?`)
      .all(...args, q.limit)
      .map(toMovement)
  }

  async hasHistory(station: string): Promise<boolean> {
    return this.anyMovement.get(station) !== undefined
  }

  async transact<T>(station: string, plan: (held: readonly Batch[]) => LedgerChange<T>, audit: (m: Movement) => AuditEvent): Promise<LedgerChange<T>> {
    const run = this.db.transaction(() => {
      const change = plan(this.selectBatches.all(station).map(toBatch))
      for (const b of change.batches) {
        this.upsertBatch.run(b.id, station, b.itemId, b.quantity, b.producedOn ?? null, b.expiresOn ?? null, b.spec ?? null, b.supplier ?? null, b.receivedAt)
      }
      for (const m of change.movements) {
        this.insertMovement.run(m.id, station, m.t, m.kind, m.itemId, m.batchId ?? null, m.quantity, m.by, m.note ?? null, m.reason ?? null, m.expected ?? null, m.counted ?? null, m.delta ?? null)
        const e = audit(m)
        this.insertEvent.run(e.t, e.station, e.kind, e.subject, e.device, e.user ?? null, e.value === undefined ? null : JSON.stringify(e.value), e.detail ?? null, e.incident ?? null)
      }
      return change
    })
    return run.immediate()
  }
}
