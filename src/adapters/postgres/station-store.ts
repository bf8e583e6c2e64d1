import type pg from 'pg'
import type { AuditEvent } from '../../domain/audit-event.ts'
import type { StationStore, StoredStation } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { json, text } from './pool.ts'
import { EVENT_COLUMNS, eventRow } from './record-store.ts'

interface Row { id: string; config: unknown; file_hash: string | null; updated_at: number; updated_by: string }

/** a queued change: its statement's parameters and its audit event's row, built when it is made */
type Change = [sql: string, params: unknown[], event: unknown[]]

const INSERT_EVENT = `INSERT INTO events (${EVENT_COLUMNS.map(([n]) => n).join(', ')}) VALUES (${EVENT_COLUMNS.map(([, t], i) => `$${i + 1}::${t}`).join(', ')})`
const UPSERT =
  'INSERT INTO station_configs (id, config, file_hash, updated_at, updated_by) VALUES ($1, $2::jsonb, $3, $4, $5) ' +
  'ON CONFLICT (id) DO UPDATE SET config = excluded.config, file_hash = excluded.file_hash, updated_at = excluded.updated_at, updated_by = excluded.updated_by'

/**
 * Stations made or changed through the API, in PostgreSQL (config as jsonb). A save or a drop is
 * queued on the group writer with its audit event: both are in the same batch, which is one
 * transaction. "Committed on return" (the port) means here what it means for every queued write
 * of this store: a read on this instance sees it at once, and it is durable once `committed()`
 * resolves — the API answers a change after that. Saves and drops share one queue, so a save and
 * a drop of one station in one batch apply in the order they were made.
 */
export class PostgresStationStore implements StationStore {
  private readonly change: (row: Change) => void

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.change = writer.table(async (client, rows) => {
      for (const [sql, params, event] of rows as Change[]) {
        await client.query(sql, params)
        await client.query(INSERT_EVENT, event)
      }
    })
  }

  async loadStations(): Promise<StoredStation[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<Row>('SELECT id, config, file_hash, updated_at, updated_by FROM station_configs ORDER BY id COLLATE "C"')
    return rows.map((r) => ({ id: r.id, config: r.config, fileHash: r.file_hash, updatedAt: r.updated_at, updatedBy: r.updated_by }))
  }

  saveStation(station: StoredStation, audit: AuditEvent): void {
    // Serialised now: what is stored is the station as it was saved, whatever happens to the object later.
    this.change([UPSERT, [text(station.id), json(station.config), text(station.fileHash), station.updatedAt, text(station.updatedBy)], eventRow(audit)])
  }

  committed(): Promise<void> {
    return this.writer.committed()
  }

  dropStation(id: string, audit: AuditEvent): void {
    this.change(['DELETE FROM station_configs WHERE id = $1', [text(id)], eventRow(audit)])
  }
}
