import type { Db } from './database.ts'

type Row = unknown[]

/**
 * Groups writes into one transaction every `intervalMs` (or sooner when `maxRows`
 * are waiting), so ingest never pays a disk write per message.
 */
export class BatchWriter {
  private readonly queues = new Map<string, { stmt: ReturnType<Db['prepare']>; rows: Row[] }>()
  private readonly upserts = new Map<string, { stmt: ReturnType<Db['prepare']>; rows: Map<string, () => Row> }>()
  private pending = 0
  private timer: NodeJS.Timeout | undefined
  private waiters: (() => void)[] = []
  private closed = false
  /** ms spent in the last commits, for the store write latency metric */
  onCommit: ((ms: number, rows: number) => void) | undefined

  constructor(
    private readonly db: Db,
    private readonly intervalMs = 20,
    private readonly maxRows = 5000,
  ) {}

  /** Registers an INSERT whose rows are appended in order. */
  table(name: string, sql: string): (row: Row) => void {
    const q = { stmt: this.db.prepare(sql), rows: [] as Row[] }
    this.queues.set(name, q)
    return (row) => {
      q.rows.push(row)
      this.bump()
    }
  }

  /**
   * Registers an upsert where only the last row per key matters (e.g. the live
   * snapshot); the row is built at commit time, once per batch, not per message.
   */
  latest(name: string, sql: string): (key: string, row: () => Row) => void {
    const q = { stmt: this.db.prepare(sql), rows: new Map<string, () => Row>() }
    this.upserts.set(name, q)
    return (key, row) => {
      if (!q.rows.has(key)) {
        q.rows.set(key, row)
        this.bump()
      }
    }
  }

  /**
   * Resolves once everything queued so far is committed, by the next scheduled
   * group commit: many callers share one transaction.
   */
  committed(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiters.push(resolve)
      this.commit()
    })
  }

  close(): void {
    this.commit()
    this.closed = true
  }

  private bump(): void {
    if (this.closed) throw new Error('store is closed')
    this.pending++
    if (this.pending >= this.maxRows) this.commit()
    else this.timer ??= setTimeout(() => this.commit(), this.intervalMs)
  }

  private commit(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const waiters = this.waiters
    this.waiters = []
    if (this.pending > 0) {
      const started = performance.now()
      const rows = this.pending
      this.db.transaction(() => {
        for (const q of this.queues.values()) {
          for (const row of q.rows) q.stmt.run(row)
          q.rows = []
        }
        for (const q of this.upserts.values()) {
          for (const row of q.rows.values()) q.stmt.run(row())
          q.rows.clear()
        }
      })()
      this.pending = 0
      this.onCommit?.(performance.now() - started, rows)
    }
    for (const w of waiters) w()
  }
}
