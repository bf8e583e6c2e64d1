import type { AuditEvent } from '../domain/audit-event.ts'
import type { Batch, LedgerChange, Movement } from './ledger.ts'

export interface MovementQuery { station: string; from?: number; to?: number; limit: number }

/** Where a station's ledger is kept. Part of the StateStore (ports.ts): every method returns a Promise. */
export interface LedgerStore {
  /** The station's batches that still hold something (all of them, used-up ones included, with `includeUsedUp`). */
  batches(station: string, includeUsedUp?: boolean): Promise<Batch[]>
  /** Oldest first. */
  movements(q: MovementQuery): Promise<Movement[]>
  /** Whether the station's ledger has ever had a movement (a seed is applied only to one that has not). */
  hasHistory(station: string): Promise<boolean>
  /**
   * Runs `plan` on the station's batches as they stand and commits what it returns — the batches,
   * the movements and their audit events — as one atomic, durable step; nothing is written if
   * `plan` throws (the Promise rejects with what it threw). No other ledger operation can see the
   * batches in between, in this process or another on the same store: the read, `plan` (called
   * synchronously) and the writes are one transaction that locks the station's batches, so an issue
   * can never take stock that a concurrent one took already.
   */
  transact<T>(station: string, plan: (held: readonly Batch[]) => LedgerChange<T>, audit: (m: Movement) => AuditEvent): Promise<LedgerChange<T>>
}
