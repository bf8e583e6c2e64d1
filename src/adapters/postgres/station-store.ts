import type pg from 'pg'
import type { AuditEvent } from '../../domain/audit-event.ts'
import type { StationStore, StoredStation } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { EVENT_COLUMNS, eventRow } from './record-store.ts'
import { eachRow, insertRows } from './rows.ts'

interface Row { id: string; config: unknown; file_hash: string | null; updated_at: number; updated_by: string }

/**
 * Stations made or changed through the API in PostgreSQL. A change and its audit event are queued
 * on the group writer in one turn, so they land in one batch, one transaction.
 */
export class PostgresStationStore implements StationStore {
  private readonly upsert
  private readonly removeRow
  private readonly insertEvent

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.upsert = writer.table(
      eachRow(
        'INSERT INTO station_configs (id, config, file_hash, updated_at, updated_by) VALUES ($1, $2::jsonb, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET config = excluded.config, file_hash = excluded.file_hash, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
      ),
    )
    this.removeRow = writer.table(eachRow('DELETE FROM station_configs WHERE id = $1'))
    this.insertEvent = writer.table(insertRows('events', EVENT_COLUMNS))
  }

  async loadStations(): Promise<StoredStation[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<Row>('SELECT id, config, file_hash, updated_at, updated_by FROM station_configs ORDER BY id COLLATE "C"')
    return rows.map((r) => ({ id: r.id, config: r.config, fileHash: r.file_hash, updatedAt: r.updated_at, updatedBy: r.updated_by }))
  }

  saveStation(s: StoredStation, audit: AuditEvent): void {
    this.upsert([s.id, JSON.stringify(s.config), s.fileHash, s.updatedAt, s.updatedBy])
    this.insertEvent(eventRow(audit))
  }

  dropStation(id: string, audit: AuditEvent): void {
    this.removeRow([id])
    this.insertEvent(eventRow(audit))
  }
}
