import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Db } from './database.ts'

type Row = unknown[]

const WORKER_FILE = new URL('./sqlite-writer-worker.cjs', import.meta.url)
const SQLITE_PATH = createRequire(import.meta.url).resolve('better-sqlite3')
/**
 * Batches cut but not yet committed past which the event loop waits for the writer. Only a
 * backstop against running out of memory when the disk cannot keep up (QoS 1 devices wait for
 * their PUBACKs, so this is rarely reached); the wait also stops reading sockets, which is the
 * backpressure such a flood needs.
 */
const MAX_UNCOMMITTED_BATCHES = 16
/** the longest a synchronous flush waits before it reports the writer as stuck */
const SYNC_WAIT_MS = 10_000

export class StoreWriteError extends Error {
  readonly code: string | undefined
  constructor(message: string, code?: string) {
    super(message)
    this.name = 'StoreWriteError'
    this.code = code
  }
}

/**
 * Group commit on a thread of its own, paced by the disk rather than by a timer (leader/follower,
 * as databases do it). When someone waits for durability (`committed()`: a PUBACK, an answered API
 * change) and the writer thread is idle, the batch is cut at the end of this turn of the event loop
 * (every socket read of the turn joins it); while a commit runs, what arrives meanwhile fills the
 * next batch, which is cut the moment that commit is reported. So at low load an acknowledgement
 * waits for about one commit, and at high load batches grow by themselves to what the writer can
 * take in one commit's time. Rows nobody waits for (background writes) are cut after `intervalMs`
 * at the latest; a batch is cut early at `maxRows`, and at most MAX_UNCOMMITTED_BATCHES are
 * handed to the writer before the event loop waits for it (the memory bound).
 *
 * The writer thread commits each batch as one transaction on its own connection to the same
 * WAL-mode file, in order; the inserts — the largest single cost of ingest when they ran on the
 * event loop — use the other core.
 *
 * Every write of the service's tables goes through here (readings, audit events, rejects, the
 * live snapshot, alerts, incidents): one ordered stream, so a batch is one consistent moment and
 * no write waits on the event loop for SQLite's lock. The main connection reads; a read that must
 * see what was just queued awaits `flush()` (or calls `flushSync()`).
 *
 * A failed commit is fatal for the store: nothing queued after it is committed (it was ordered
 * after what was rolled back), every `committed()` rejects — so no PUBACK claims durability — and
 * `onFailure` tells the service, which stops.
 */
export interface BatchWriterOptions {
  /** the longest rows nobody waits for (no `committed()`) wait for their batch to be cut (ms) */
  intervalMs?: number
  /** a batch is cut early at this many rows */
  maxRows?: number
  /** ms the last commit took and its rows, for the store write metrics */
  onCommit?: (ms: number, rows: number) => void
  /** called once, when a commit fails */
  onFailure?: (err: StoreWriteError) => void
}

export class BatchWriter {
  private readonly queues: { name: string; rows: Row[] }[] = []
  private readonly upserts: { name: string; rows: Map<string, () => Row> }[] = []
  private pending = 0
  private timer: NodeJS.Timeout | undefined
  /** cut the batch being filled as soon as the commit in progress is reported (someone waits for it, or the interval elapsed) */
  private due = false
  /** a cut is scheduled for the end of this turn of the event loop */
  private cutSoon: NodeJS.Immediate | undefined
  /** batches are numbered from 1; openSeq is the one being filled */
  private openSeq = 1
  private postedSeq = 0
  private committedSeq = 0
  private readonly waiters = new Map<number, { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void }>()
  private failure: StoreWriteError | undefined
  private closed = false
  private readonly worker: Worker
  private readonly exited: Promise<void>
  /** [0] = the newest committed batch; [1] = -1 after a failed commit */
  private readonly shared = new Int32Array(new SharedArrayBuffer(8))
  private readonly intervalMs: number
  private readonly maxRows: number
  private readonly onCommit: BatchWriterOptions['onCommit']
  private readonly onFailure: BatchWriterOptions['onFailure']

  constructor(
    private readonly db: Db,
    opts: BatchWriterOptions = {},
  ) {
    // Only for writes nobody waits for; an acknowledgement's batch is cut when the writer is free.
    this.intervalMs = opts.intervalMs ?? 50
    this.maxRows = opts.maxRows ?? 5000
    this.onCommit = opts.onCommit
    this.onFailure = opts.onFailure
    // Checkpoints belong to the writer's connection: on this one, one would run on the event loop.
    db.pragma('wal_autocheckpoint = 0')
    this.worker = new Worker(WORKER_FILE, { workerData: { file: db.name, sqlitePath: SQLITE_PATH, shared: this.shared.buffer }, execArgv: [] })
    this.worker.unref()
    this.worker.on('message', (m: { t: 'committed'; seq: number; ms: number; rows: number } | { t: 'failed'; seq: number; message: string; code?: string }) => {
      if (m.t === 'failed') return this.fail(new StoreWriteError(`SQLite commit failed: ${m.message}`, m.code))
      this.settle(m.seq)
      this.onCommit?.(m.ms, m.rows)
      // The follower becomes the leader: what arrived during that commit is the next batch.
      if (this.due && this.pending > 0 && this.committedSeq === this.postedSeq) this.cut()
    })
    this.worker.on('error', (err) => this.fail(new StoreWriteError(`SQLite writer thread failed: ${err.message}`)))
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        if (!this.closed) this.fail(new StoreWriteError(`SQLite writer thread exited (code ${code}) while the store was open`))
        resolve()
      }),
    )
  }

  /**
   * Registers an INSERT whose rows are committed in the order they were queued. The values at
   * `jsonColumns` are stored as their JSON text (undefined as NULL), made on the writer's thread:
   * handing it the object costs this thread about half of what serializing it here would.
   */
  table(name: string, sql: string, jsonColumns: number[] = []): (row: Row) => void {
    this.prepare(name, sql, jsonColumns)
    const q = { name, rows: [] as Row[] }
    this.queues.push(q)
    return (row) => {
      q.rows.push(row)
      this.bump()
    }
  }

  /**
   * Registers an upsert where only the last row per key matters (e.g. the live snapshot); the
   * row is built when the batch is cut, once per batch, not per message; `jsonColumns` as for
   * `table()` (serialized on the writer's thread: with commits paced by the writer, batches are
   * small at moderate load and the live snapshot is built nearly once a message).
   */
  latest(name: string, sql: string, jsonColumns: number[] = []): (key: string, row: () => Row) => void {
    this.prepare(name, sql, jsonColumns)
    const q = { name, rows: new Map<string, () => Row>() }
    this.upserts.push(q)
    return (key, row) => {
      if (!q.rows.has(key)) {
        q.rows.set(key, row)
        this.bump()
      }
    }
  }

  /**
   * Resolves once everything queued so far is committed: by a commit that starts at the end of
   * this turn if the writer is idle, or as soon as the one in progress is done. Many callers share
   * one transaction (and one promise). Rejects if that commit failed.
   */
  committed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.pending > 0) {
      this.cutWhenFree()
      return this.waitFor(this.openSeq)
    }
    if (this.postedSeq > this.committedSeq) return this.waitFor(this.postedSeq)
    return Promise.resolve()
  }

  /** Cuts the batch now, without waiting for the interval, and resolves once it is committed. */
  flush(): Promise<void> {
    if (this.pending > 0 && !this.failure) this.cut()
    return this.committed()
  }

  /**
   * Commits what is queued and returns once it is, blocking this thread meanwhile (one commit: a
   * few ms): for the synchronous reads that must see what ingest queued a moment ago.
   */
  flushSync(): void {
    if (this.pending > 0 && !this.failure) this.cut()
    this.waitSync(this.postedSeq)
  }

  /** Commits what is queued and stops the writer thread. */
  async close(): Promise<void> {
    if (this.closed) return
    // Whatever is queued while a flush is awaited goes in the next one.
    while (this.pending > 0 && !this.failure) await this.flush().catch(() => undefined)
    await this.committed().catch(() => undefined)
    this.closed = true
    clearTimeout(this.timer)
    clearImmediate(this.cutSoon)
    // Unreferenced so far (an idle writer must not keep the process alive); its exit is awaited now.
    this.worker.ref()
    this.worker.postMessage({ t: 'close' })
    await this.exited
  }

  private prepare(name: string, sql: string, json: number[]): void {
    // Prepared here too, so that a bad statement fails where it is registered.
    this.db.prepare(sql)
    this.worker.postMessage({ t: 'prepare', name, sql, json })
  }

  private bump(): void {
    if (this.closed) throw new Error('store is closed')
    this.pending++
    if (this.pending >= this.maxRows) this.cut()
    else this.timer ??= setTimeout(() => this.intervalElapsed(), this.intervalMs)
  }

  private intervalElapsed(): void {
    this.timer = undefined
    // While the writer is busy this batch goes on filling (until maxRows), and is cut when it is done.
    if (this.postedSeq > this.committedSeq) this.due = true
    else this.cut()
  }

  /**
   * Someone waits for the batch being filled: the leader's turn. If the writer is idle it is cut
   * once this turn's other work is done (setImmediate runs after every socket read of the turn, so
   * they share the commit); if a commit is running, the moment it is reported.
   */
  private cutWhenFree(): void {
    if (this.postedSeq > this.committedSeq) {
      this.due = true
      return
    }
    this.cutSoon ??= setImmediate(() => {
      this.cutSoon = undefined
      if (this.postedSeq > this.committedSeq) this.due = true
      else this.cut()
    })
  }

  /** Hands the batch being filled to the writer thread. */
  private cut(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    clearImmediate(this.cutSoon)
    this.cutSoon = undefined
    this.due = false
    if (this.pending === 0 || this.failure) return
    if (this.postedSeq - this.committedSeq >= MAX_UNCOMMITTED_BATCHES) this.waitSync(this.postedSeq - MAX_UNCOMMITTED_BATCHES + 1)
    const seq = this.openSeq++
    const rows = this.pending
    this.pending = 0
    const tables: [string, Row[]][] = []
    for (const q of this.queues) {
      if (q.rows.length === 0) continue
      tables.push([q.name, q.rows])
      q.rows = []
    }
    for (const q of this.upserts) {
      if (q.rows.size === 0) continue
      const built: Row[] = []
      for (const row of q.rows.values()) built.push(row())
      tables.push([q.name, built])
      q.rows.clear()
    }
    // A batch on its way keeps the process alive until it is committed; an idle writer does not.
    if (this.postedSeq === this.committedSeq) this.worker.ref()
    this.postedSeq = seq
    this.worker.postMessage({ t: 'batch', seq, tables, rows })
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
    if (seq <= this.committedSeq) return
    this.committedSeq = seq
    if (seq === this.postedSeq && !this.closed) this.worker.unref()
    for (const [s, w] of this.waiters) {
      if (s > seq) continue
      this.waiters.delete(s)
      w.resolve()
    }
  }

  /** Blocks this thread until batch `seq` is committed. */
  private waitSync(seq: number): void {
    const end = Date.now() + SYNC_WAIT_MS
    for (;;) {
      if (this.failure) throw this.failure
      const done = Atomics.load(this.shared, 0)
      if (done >= seq) break
      // The failure message is only read between tasks: the flag is seen at once.
      if (Atomics.load(this.shared, 1) === -1) throw new StoreWriteError('SQLite commit failed (see the error logged for the store)')
      const left = end - Date.now()
      if (left <= 0) throw new StoreWriteError(`the SQLite writer did not commit within ${SYNC_WAIT_MS} ms`)
      Atomics.wait(this.shared, 0, done, Math.min(left, 50))
    }
    this.settle(Atomics.load(this.shared, 0))
  }

  private fail(err: StoreWriteError): void {
    if (this.failure) return
    this.failure = err
    clearTimeout(this.timer)
    this.timer = undefined
    clearImmediate(this.cutSoon)
    this.cutSoon = undefined
    for (const w of this.waiters.values()) w.reject(err)
    this.waiters.clear()
    this.onFailure?.(err)
  }
}
