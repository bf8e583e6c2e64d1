import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export type Db = Database.Database

const SCHEMA = `
CREATE TABLE IF NOT EXISTS points (
  t INTEGER NOT NULL, measurement TEXT NOT NULL, station TEXT NOT NULL, subject TEXT NOT NULL,
  v REAL, tags TEXT NOT NULL, fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS points_subject_t ON points (station, subject, t);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, t INTEGER NOT NULL, station TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
  device TEXT NOT NULL, user TEXT, value TEXT, detail TEXT, incident TEXT
);
CREATE INDEX IF NOT EXISTS events_station_t ON events (station, t);
CREATE TABLE IF NOT EXISTS rejects (id INTEGER PRIMARY KEY, t INTEGER NOT NULL, device TEXT NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS live (station TEXT PRIMARY KEY, snapshot TEXT NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL,
  stations TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS sessions_user_created ON sessions (username, created_at);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, station TEXT NOT NULL, rule TEXT NOT NULL, subject TEXT NOT NULL, state TEXT NOT NULL,
  opened_at INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, opened_at);
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY, station TEXT NOT NULL, opened_at INTEGER NOT NULL, closed_at INTEGER, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, 'stationwatch.db'))
  // WAL + NORMAL: a commit is durable against process crashes and costs no fsync per transaction.
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.exec(SCHEMA)
  migrate(db)
  return db
}

/**
 * Columns added after a table was first created: CREATE TABLE IF NOT EXISTS leaves an existing table
 * as it is, so a data dir from an earlier version gets them here (each an additive, nullable column).
 */
const ADDED_COLUMNS: { table: string; column: string; type: string }[] = [
  // contract v2 §E: a user's station scope, a JSON array of ids; NULL = every station
  { table: 'users', column: 'stations', type: 'TEXT' },
]

function migrate(db: Db): void {
  for (const { table, column, type } of ADDED_COLUMNS) {
    const has = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().some((c) => c.name === column)
    if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`)
  }
}
