import type { Part } from '../../lifecycle.ts'
import type { StateStore } from '../../ports.ts'
import { EmbeddedAccountStore } from './account-store.ts'
import { BatchWriter, type StoreWriteError } from './batch-writer.ts'
import { openDatabase, type Db } from './database.ts'
import { EmbeddedDisplayTokenStore } from './display-token-store.ts'
import { EmbeddedAlertStore } from './embedded-alert-store.ts'
import { EmbeddedLedgerStore } from './ledger-store.ts'
import { SqliteNotificationLog } from './notification-log.ts'
import { EmbeddedRecordStore } from './record-store.ts'
import { EmbeddedRoutineStore } from './routine-store.ts'
import { EmbeddedStationStore } from './station-store.ts'

export interface EmbeddedStateOptions {
  dataDir: string
  /** each group commit: how long it took and how many rows it held */
  onCommit?: (ms: number, rows: number) => void
  /** the store can no longer commit: nothing more is acknowledged, and the service should stop */
  onFailure?: (err: StoreWriteError) => void
}

/**
 * The state store in one SQLite file under DATA_DIR. Writes go through one ordered stream
 * committed on a writer thread (BatchWriter); reads use the main connection. The embedded reading
 * store shares the file and the writer, so a reading and its snapshot are one commit.
 */
export class EmbeddedStateStore implements StateStore, Part {
  readonly name = 'state-store'
  readonly kind = 'embedded'
  readonly db: Db
  readonly writer: BatchWriter
  readonly records: EmbeddedRecordStore
  readonly alerts: EmbeddedAlertStore
  readonly accounts: EmbeddedAccountStore
  readonly displayTokens: EmbeddedDisplayTokenStore
  readonly ledger: EmbeddedLedgerStore
  readonly deliveries: SqliteNotificationLog
  readonly routine: EmbeddedRoutineStore
  readonly stations: EmbeddedStationStore

  constructor(opts: EmbeddedStateOptions) {
    this.db = openDatabase(opts.dataDir)
    this.writer = new BatchWriter(this.db, { ...(opts.onCommit ? { onCommit: opts.onCommit } : {}), ...(opts.onFailure ? { onFailure: opts.onFailure } : {}) })
    this.records = new EmbeddedRecordStore(this.db, this.writer)
    this.alerts = new EmbeddedAlertStore(this.db, this.writer)
    this.accounts = new EmbeddedAccountStore(this.db)
    this.displayTokens = new EmbeddedDisplayTokenStore(this.db)
    this.ledger = new EmbeddedLedgerStore(this.db)
    this.deliveries = new SqliteNotificationLog(this.db, this.writer)
    this.routine = new EmbeddedRoutineStore(this.db)
    this.stations = new EmbeddedStationStore(this.db)
  }

  committed(): Promise<void> {
    return this.writer.committed()
  }

  /** Commits what is queued, stops the writer thread and closes the file. */
  async stop(): Promise<void> {
    await this.writer.close()
    this.db.close()
  }
}
