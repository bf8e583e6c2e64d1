import type { AuditEvent } from '../domain/audit-event.ts'
import type { Batch, LedgerChange, Movement } from './ledger.ts'

export interface MovementQuery { station: string; from?: number; to?: number; limit: number }

/** Where a station's ledger is kept. */
export interface LedgerStore {
  /** The station's batches that still hold something (all of them, used-up ones included, with `includeUsedUp`). */
  batches(station: string, includeUsedUp?: boolean): Batch[]
  /** Oldest first. */
  movements(q: MovementQuery): Movement[]
  /** Whether the station's ledger has ever had a movement (a seed is applied only to one that has not). */
  hasHistory(station: string): boolean
  /**
   * Runs `plan` on the station's batches as they stand and commits what it returns — the batches,
   * the movements and their audit events — as one atomic, durable step; nothing is written if
   * `plan` throws. No other ledger operation can see the batches in between.
   */
  transact<T>(station: string, plan: (held: readonly Batch[]) => LedgerChange<T>, audit: (m: Movement) => AuditEvent): LedgerChange<T>
}
