import type { AuditEvent } from '../../domain/audit-event.ts'
import type { StationStore, StoredStation } from '../../ports.ts'
import type { Db } from './database.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS station_configs (
  id TEXT PRIMARY KEY, config TEXT NOT NULL, file_hash TEXT, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL
);
`

interface Row { id: string; config: string; file_hash: string | null; updated_at: number; updated_by: string }

/**
 * Stations made or changed through the API, one row each in the station-file form. Each change is
 * a transaction on the main connection with its audit event (as the routine store does), so it is
 * on disk before it is answered; changes are a few a day.
 */
export class EmbeddedStationStore implements StationStore {
  private readonly insertEvent
  private readonly upsert
  private readonly remove

  constructor(private readonly db: Db) {
    db.exec(SCHEMA)
    this.insertEvent = db.prepare('INSERT INTO events (t, station, kind, subject, device, user, value, detail, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    this.upsert = db.prepare('INSERT INTO station_configs (id, config, file_hash, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET config = excluded.config, file_hash = excluded.file_hash, updated_at = excluded.updated_at, updated_by = excluded.updated_by')
    this.remove = db.prepare('DELETE FROM station_configs WHERE id = ?')
  }

  loadStations(): Promise<StoredStation[]> {
    const rows = this.db.prepare<[], Row>('SELECT * FROM station_configs ORDER BY id').all()
    return Promise.resolve(rows.map((r) => ({ id: r.id, config: JSON.parse(r.config) as unknown, fileHash: r.file_hash, updatedAt: r.updated_at, updatedBy: r.updated_by })))
  }

  saveStation(s: StoredStation, audit: AuditEvent): void {
    this.db.transaction(() => {
      this.upsert.run(s.id, JSON.stringify(s.config), s.fileHash, s.updatedAt, s.updatedBy)
      this.audit(audit)
    }).immediate()
  }

  dropStation(id: string, audit: AuditEvent): void {
    this.db.transaction(() => {
      this.remove.run(id)
      this.audit(audit)
    }).immediate()
  }

  private audit(e: AuditEvent): void {
    this.insertEvent.run(e.t, e.station, e.kind, e.subject, e.device, e.user ?? null, e.value === undefined ? null : JSON.stringify(e.value), e.detail ?? null, e.incident ?? null)
  }
}
