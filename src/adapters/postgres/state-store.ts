import type pg from 'pg'
import type { Part } from '../../lifecycle.ts'
import type { StateStore } from '../../ports.ts'
import { PostgresAccountStore } from './account-store.ts'
import { PostgresAlertStore } from './alert-store.ts'
import { PostgresDeliveryLog } from './delivery-log.ts'
import { PostgresDisplayTokenStore } from './display-token-store.ts'
import { GroupWriter, type StoreWriteError } from './group-writer.ts'
import { PostgresLedgerStore } from './ledger-store.ts'
import { migrate } from './migrate.ts'
import { createPool } from './pool.ts'
import { PostgresRecordStore } from './record-store.ts'
import { PostgresRoutineStore } from './routine-store.ts'
import { PostgresStationStore } from './station-store.ts'

export interface PostgresStateOptions {
  /** `postgres://user:password@host:port/database` (DATABASE_URL) */
  url: string
  /** connections in the pool (the writer takes one at a time; reads and ledger operations the rest) */
  poolSize?: number
  /** how long commits are retried while the connection is lost before the store gives up (ms) */
  retryForMs?: number
  /** each group commit: how long it took and how many rows it held */
  onCommit?: (ms: number, rows: number) => void
  /** a commit failed because the connection did, and is retried */
  onRetry?: (err: Error, attempt: number) => void
  /** the store can no longer commit: nothing more is acknowledged, and the service should stop */
  onFailure?: (err: StoreWriteError) => void
  /** node-pg-migrate's progress lines */
  log?: (msg: string) => void
}

/**
 * The state store in PostgreSQL, for cluster mode: every instance opens one on the same database
 * and sees what the others committed. The schema is node-pg-migrate's (migrations/, run by
 * `open`). Writes go through one ordered stream committed in batches (GroupWriter); reads wait for
 * what this instance queued before them, then ask the server. Operations that read and decide
 * (the ledger, a new user, trimming sessions) are single transactions the server serialises
 * between instances.
 */
export class PostgresStateStore implements StateStore, Part {
  readonly name = 'state-store'
  readonly kind = 'postgres'
  readonly pool: pg.Pool
  readonly writer: GroupWriter
  readonly records: PostgresRecordStore
  readonly alerts: PostgresAlertStore
  readonly accounts: PostgresAccountStore
  readonly displayTokens: PostgresDisplayTokenStore
  readonly ledger: PostgresLedgerStore
  readonly deliveries: PostgresDeliveryLog
  readonly routine: PostgresRoutineStore
  readonly stations: PostgresStationStore

  /** Migrates the database to the current schema, then opens the store on it. */
  static async open(opts: PostgresStateOptions): Promise<PostgresStateStore> {
    await migrate(opts.url, opts.log)
    return new PostgresStateStore(opts)
  }

  /** Opens the store on a database already migrated (see `open`). */
  constructor(opts: PostgresStateOptions) {
    // An idle connection that breaks is dropped by the pool and replaced on the next use; a commit
    // it breaks is retried by the writer, which is what health() reports.
    this.pool = createPool({ url: opts.url, ...(opts.poolSize ? { max: opts.poolSize } : {}) })
    this.writer = new GroupWriter(this.pool, {
      ...(opts.retryForMs !== undefined ? { retryForMs: opts.retryForMs } : {}),
      ...(opts.onCommit ? { onCommit: opts.onCommit } : {}),
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
      ...(opts.onFailure ? { onFailure: opts.onFailure } : {}),
    })
    this.records = new PostgresRecordStore(this.pool, this.writer)
    this.alerts = new PostgresAlertStore(this.pool, this.writer)
    this.accounts = new PostgresAccountStore(this.pool, this.writer)
    this.displayTokens = new PostgresDisplayTokenStore(this.pool, this.writer)
    this.ledger = new PostgresLedgerStore(this.pool, this.writer)
    this.deliveries = new PostgresDeliveryLog(this.pool, this.writer)
    this.routine = new PostgresRoutineStore(this.pool, this.writer)
    this.stations = new PostgresStationStore(this.pool, this.writer)
  }

  committed(): Promise<void> {
    return this.writer.committed()
  }

  /** for /api/health's `cluster.database`: false while commits are being retried or after the store gave up */
  health(): { ok: boolean; error?: string } {
    const err = this.writer.failed ?? this.writer.retrying
    return err ? { ok: false, error: err.message } : { ok: true }
  }

  /** Commits what is queued and closes the pool. */
  async stop(): Promise<void> {
    await this.writer.close()
    // Its batch number is needed only while a batch of its own may be retried.
    if (!this.writer.failed) await this.pool.query('DELETE FROM store_writers WHERE writer = $1', [this.writer.id]).catch(() => undefined)
    await this.pool.end()
  }
}
