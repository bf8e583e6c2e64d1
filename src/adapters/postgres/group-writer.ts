import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { inTransaction, isTransient } from './pool.ts'

type Row = unknown[]

export class StoreWriteError extends Error {
  readonly code: string | undefined
  constructor(message: string, code?: string) {
    super(message)
    this.name = 'StoreWriteError'
    this.code = code
  }
}

/** Writes one queue's rows of a batch (in the order queued) on the batch's transaction. */
export type RowsWriter = (client: pg.PoolClient, rows: Row[]) => Promise<unknown>

export interface GroupWriterOptions {
  /** how long a commit is retried after the connection is lost before the store gives up (ms) */
  retryForMs?: number
  /** ms the last commit took and its rows, for the store write metrics */
  onCommit?: (ms: number, rows: number) => void
  /** called once, when the store can no longer commit */
  onFailure?: (err: StoreWriteError) => void
  /** a commit failed and will be retried (the connection was lost) */
  onRetry?: (err: Error, attempt: number) => void
}

interface Waiter { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void }
interface Batch { seq: number; tables: [RowsWriter, Row[]][]; rows: number }

const BACKOFF_FIRST_MS = 50
const BACKOFF_MAX_MS = 2_000

/**
 * Group commit to PostgreSQL, paced by the server rather than by a timer (leader/follower, as the
 * embedded store's writer does it): every write is queued; when nothing is being committed the
 * queue is cut into a batch at the end of this turn of the event loop (every write of the turn
 * joins it) and committed as one transaction; what arrives meanwhile is the next batch, cut the
 * moment that commit is done. One batch is in flight at a time, so batches commit in order.
 *
 * Queues are registered once; within a batch they run in the order they were registered, each
 * one's rows in the order queued — so a queue is ordered after every queue it can conflict with
 * by registering after it (rejects before their pruning, sessions inserted before deleted).
 *
 * A commit that fails because the connection did (the server restarted, the network cut it) is
 * retried with backoff, the batch unchanged, for `retryForMs`; writes queued meanwhile wait in
 * the next batch. Each batch records its number in `store_writers` in its own transaction, so a
 * retry of a batch whose COMMIT did reach the server (only its answer was lost) is recognised and
 * not applied twice. A statement the server refuses, or a connection lost for longer than
 * `retryForMs`, is fatal: nothing more is committed, every `committed()` rejects — so nothing is
 * acknowledged as durable — and `onFailure` tells the service, which stops.
 */
export class GroupWriter {
  /** this writer's name in `store_writers` */
  readonly id = randomUUID()
  private readonly queues: { rows: Row[]; write: RowsWriter }[] = []
  private readonly latests: { rows: Map<string, () => Row>; write: RowsWriter }[] = []
  private pending = 0
  /** batches are numbered from 1; openSeq is the one being filled */
  private openSeq = 1
  private inFlight: Batch | undefined
  private cutSoon: NodeJS.Immediate | undefined
  private readonly waiters = new Map<number, Waiter>()
  private failure: StoreWriteError | undefined
  private retryError: Error | undefined
  private closed = false
  private readonly retryForMs: number

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: GroupWriterOptions = {},
  ) {
    this.retryForMs = opts.retryForMs ?? 60_000
  }

  /** Registers a queue whose rows are written in the order queued. */
  table(write: RowsWriter): (row: Row) => void {
    const q = { rows: [] as Row[], write }
    this.queues.push(q)
    return (row) => {
      this.accept()
      q.rows.push(row)
      this.bump()
    }
  }

  /**
   * Registers a queue where only the last row per key matters (the live snapshot, a plan): the
   * row is built when the batch is cut, once per batch, from the state at that moment. These run
   * after every `table` queue of the batch.
   */
  latest(write: RowsWriter): (key: string, row: () => Row) => void {
    const q = { rows: new Map<string, () => Row>(), write }
    this.latests.push(q)
    return (key, row) => {
      this.accept()
      const known = q.rows.has(key)
      q.rows.set(key, row)
      if (!known) this.bump()
    }
  }

  /** Resolves once everything queued so far is committed; rejects if the store cannot commit it. */
  committed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.pending > 0) {
      this.cutWhenFree()
      return this.waitFor(this.openSeq)
    }
    if (this.inFlight) return this.waitFor(this.inFlight.seq)
    return Promise.resolve()
  }

  /** the connection error being retried now, if any (for the health report) */
  get retrying(): Error | undefined {
    return this.retryError
  }

  get failed(): StoreWriteError | undefined {
    return this.failure
  }

  /** Commits what is queued, then refuses new writes. */
  async close(): Promise<void> {
    while ((this.pending > 0 || this.inFlight) && !this.failure) await this.committed().catch(() => undefined)
    this.closed = true
    clearImmediate(this.cutSoon)
  }

  private accept(): void {
    if (this.closed) throw new Error('state store is closed')
  }

  private bump(): void {
    this.pending++
    this.cutWhenFree()
  }

  /** Cut at the end of this turn if no commit runs; otherwise the running commit cuts when it is done. */
  private cutWhenFree(): void {
    if (this.inFlight || this.failure) return
    this.cutSoon ??= setImmediate(() => {
      this.cutSoon = undefined
      if (!this.inFlight) this.cut()
    })
  }

  private cut(): void {
    if (this.pending === 0 || this.failure) return
    const tables: [RowsWriter, Row[]][] = []
    for (const q of this.queues) {
      if (q.rows.length === 0) continue
      tables.push([q.write, q.rows])
      q.rows = []
    }
    try {
      for (const q of this.latests) {
        if (q.rows.size === 0) continue
        const built: Row[] = []
        for (const row of q.rows.values()) built.push(row())
        tables.push([q.write, built])
        q.rows.clear()
      }
    } catch (err) {
      // A row that cannot be built (a snapshot that cannot be serialised) would be lost: as fatal as a refused commit.
      return this.fail(new StoreWriteError(`a row for PostgreSQL could not be built: ${err instanceof Error ? err.message : String(err)}`))
    }
    const batch: Batch = { seq: this.openSeq++, tables, rows: this.pending }
    this.pending = 0
    this.inFlight = batch
    void this.commitWithRetry(batch)
  }

  private async commitWithRetry(batch: Batch): Promise<void> {
    const firstTry = Date.now()
    for (let attempt = 1; ; attempt++) {
      const started = performance.now()
      try {
        await this.commit(batch)
        this.retryError = undefined
        this.opts.onCommit?.(performance.now() - started, batch.rows)
        break
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err))
        if (!isTransient(e) || Date.now() - firstTry >= this.retryForMs) {
          const code = (e as { code?: unknown }).code
          return this.fail(new StoreWriteError(`PostgreSQL commit failed: ${e.message}`, typeof code === 'string' ? code : undefined))
        }
        this.retryError = e
        this.opts.onRetry?.(e, attempt)
        await new Promise((r) => setTimeout(r, Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1))))
      }
    }
    this.inFlight = undefined
    this.settle(batch.seq)
    // The follower becomes the leader: what arrived during that commit is the next batch.
    if (this.pending > 0) this.cut()
  }

  private async commit(batch: Batch): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const claim = await client.query(
        'INSERT INTO store_writers (writer, seq) VALUES ($1, $2) ON CONFLICT (writer) DO UPDATE SET seq = excluded.seq, updated_at = now() WHERE store_writers.seq < excluded.seq',
        [this.id, batch.seq],
      )
      // Nothing claimed: an earlier attempt committed this batch, only its answer was lost.
      if (claim.rowCount === 0) return
      for (const [write, rows] of batch.tables) await write(client, rows)
    })
  }

  private waitFor(seq: number): Promise<void> {
    let w = this.waiters.get(seq)
    if (!w) {
      let resolve!: () => void
      let reject!: (err: Error) => void
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
      // Nobody may be listening for a failure (a PUBACK whose client left): that is no crash.
      promise.catch(() => undefined)
      this.waiters.set(seq, (w = { promise, resolve, reject }))
    }
    return w.promise
  }

  private settle(seq: number): void {
    for (const [s, w] of this.waiters) {
      if (s > seq) continue
      this.waiters.delete(s)
      w.resolve()
    }
  }

  private fail(err: StoreWriteError): void {
    if (this.failure) return
    this.failure = err
    clearImmediate(this.cutSoon)
    this.cutSoon = undefined
    for (const w of this.waiters.values()) w.reject(err)
    this.waiters.clear()
    this.opts.onFailure?.(err)
  }
}
