import type pg from 'pg'
import type { AuditEvent } from '../../domain/audit-event.ts'
import type { Batch, LedgerChange, Movement } from '../../ledger/ledger.ts'
import type { LedgerStore, MovementQuery } from '../../ledger/ledger-store.ts'
import type { GroupWriter } from './group-writer.ts'
import { eventRow } from './record-store.ts'
import { inTransaction, text } from './pool.ts'
import { toBatch, toMovement, type BatchRow, type MovementRow } from '../../storage/state-rows.ts'


/**
 * The ledger in PostgreSQL. Each operation is one transaction on a connection of its own: it
 * locks the station's row in `ledger_stations` (SELECT … FOR UPDATE), reads the batches, lets
 * `plan` decide, and writes the batches, the movements and their audit events before COMMIT. A
 * second operation on the station — from this instance or another — waits on that row lock, then
 * reads the batches as the first left them (READ COMMITTED reads what was committed before each
 * statement), so two issues can never both take the last of a batch; the CHECK constraints are a
 * last guard against a negative stock. Ledger operations are a few a minute: a connection each
 * costs nothing that matters.
 */
export class PostgresLedgerStore implements LedgerStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {}

  async batches(station: string, includeUsedUp = false): Promise<Batch[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<BatchRow>(
      `SELECT * FROM ledger_batches WHERE station = $1 ${includeUsedUp ? '' : 'AND quantity > 0'} ORDER BY received_at, id COLLATE "C"`,
      [station],
    )
    return rows.map(toBatch)
  }

  async movements(q: MovementQuery): Promise<Movement[]> {
    await this.writer.committed()
    const where = ['station = $1']
    const args: unknown[] = [q.station]
    const arg = (v: unknown) => (args.push(v), `$${args.length}`)
    if (q.from !== undefined) where.push(`t >= ${arg(q.from)}`)
    if (q.to !== undefined) where.push(`t <= ${arg(q.to)}`)
    const { rows } = await this.pool.query<MovementRow>(`SELECT * FROM ledger_movements WHERE ${where.join(' AND ')} ORDER BY t, seq LIMIT ${arg(q.limit)}`, args)
    return rows.map(toMovement)
  }

  async hasHistory(station: string): Promise<boolean> {
    await this.writer.committed()
    const { rows } = await this.pool.query('SELECT 1 FROM ledger_movements WHERE station = $1 LIMIT 1', [station])
    return rows.length > 0
  }

  async transact<T>(station: string, plan: (held: readonly Batch[]) => LedgerChange<T>, audit: (m: Movement) => AuditEvent): Promise<LedgerChange<T>> {
    // After what this instance queued before (one order of writes), on a connection of its own.
    await this.writer.committed()
    return inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO ledger_stations (station) VALUES ($1) ON CONFLICT DO NOTHING', [station])
      await client.query('SELECT station FROM ledger_stations WHERE station = $1 FOR UPDATE', [station])
      const held = await client.query<BatchRow>('SELECT * FROM ledger_batches WHERE station = $1 ORDER BY received_at, id COLLATE "C"', [station])
      const change = plan(held.rows.map(toBatch))
      for (const b of change.batches) {
        await client.query(
          `INSERT INTO ledger_batches (id, station, item, quantity, produced_on, expires_on, spec, supplier, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET quantity = excluded.quantity`,
          [b.id, station, b.itemId, b.quantity, text(b.producedOn), text(b.expiresOn), text(b.spec), text(b.supplier), b.receivedAt],
        )
      }
      for (const m of change.movements) {
        await client.query(
          'INSERT INTO ledger_movements (id, station, t, kind, item, batch, quantity, user_name, note, reason, expected, counted, delta) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
          [m.id, station, m.t, m.kind, m.itemId, m.batchId ?? null, m.quantity, m.by, text(m.note), m.reason ?? null, m.expected ?? null, m.counted ?? null, m.delta ?? null],
        )
        await client.query(
          'INSERT INTO events (t, station, kind, subject, device, user_name, value, detail, incident) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
          eventRow(audit(m)),
        )
      }
      return change
    })
  }
}
