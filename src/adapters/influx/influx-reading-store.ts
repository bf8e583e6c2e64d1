import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { escape, InfluxDB, type IPoolOptions } from 'influx'
import type { Logger } from 'pino'
import { AppError } from '../../domain/errors.ts'
import type { HistoryPoint, HistoryQuery, Point, ReadingStore, StoreHealth } from '../../ports.ts'
import { ensureDatabase, RETENTION_POLICY } from './influx-setup.ts'
import type { InfluxTarget } from './influx-url.ts'
import { LineEncoder } from './line-protocol.ts'
import { batchBody, LineWriter, WriteError } from './line-writer.ts'
import { MEASUREMENTS, seriesOf } from './schema.ts'
import { LostRanges } from './lost-ranges.ts'
import { formatBytes, Spool, type SpoolChunk } from './spool.ts'

export type DropReason = 'spool-full' | 'spool-unwritable' | 'spool-corrupt' | 'rejected' | 'invalid' | 'closed'

/** What the store reports as it works; the factory turns it into Prometheus metrics. */
export interface InfluxStoreObserver {
  /** a batch InfluxDB accepted */
  written(seconds: number, points: number): void
  /** spool depth (points), its undrained bytes, and whether the size limit cut readings off */
  spool(depth: number, bytes: number, overLimit: boolean): void
  dropped(points: number, reason: DropReason): void
  writeFailed(kind: 'retry' | 'missing-database' | 'rejected'): void
}

export interface InfluxStoreOptions {
  target: InfluxTarget
  /** INFLUX_RETENTION */
  retention: string
  /** the spool lives in `<dataDir>/influx-spool` */
  dataDir: string
  spoolMaxBytes: number
  log: Logger
  observer?: InfluxStoreObserver
  /** points per write */
  batchSize?: number
  /** the longest a point waits in memory for its batch to fill */
  flushIntervalMs?: number
  /** a write taking longer than this has what it carries (and what waits behind it) spooled */
  spillAfterMs?: number
  /** a write is abandoned (and retried from the spool) after this */
  writeTimeoutMs?: number
  /** points waiting in memory behind a slow write before they are spooled anyway */
  maxBufferedPoints?: number
  retryMinMs?: number
  retryMaxMs?: number
  /** how often InfluxDB is pinged while nothing else tells whether it is there */
  pingIntervalMs?: number
  /** how often InfluxDB is pinged while a retry of the spool waits, so the drain starts as soon as it is back */
  recoveryPingMs?: number
  queryTimeoutMs?: number
}

type Defaults = Required<Omit<InfluxStoreOptions, 'observer'>> & { observer: InfluxStoreObserver | undefined }

const DRAIN_MAX_BYTES = 8 * 1024 * 1024
const MAX_TIME_MS = 9_000_000_000_000

/** The `influx` pool would otherwise blacklist the host for a while after each failure, on top of our own retries. */
type Backoff = NonNullable<IPoolOptions['backoff']>
const noBackoff: Backoff = { getDelay: () => 0, next: () => noBackoff, reset: () => noBackoff }

/**
 * Readings in InfluxDB 1.x (contract §7).
 *
 * Write path: `write()` encodes each point to line protocol at once (its unique nanosecond
 * timestamp is fixed there) and queues it in memory; a single sender writes batches of up to
 * `batchSize` points, when a batch is full or its oldest point has waited `flushIntervalMs`.
 * Only one write is in flight at a time, so InfluxDB sees the points in the order they came.
 *
 * When a write fails, or takes longer than `spillAfterMs`, the store switches to spooling:
 * the batch in flight and everything behind it is appended to the spool under DATA_DIR, and so is
 * every later batch, so the spool keeps arrival order. The sender then drains the spool from
 * its head, oldest first, retrying with backoff while InfluxDB is away, and switches back to direct
 * writes once the spool is empty (and removed). A point written twice (a slow write that did land,
 * then its spooled copy) is stored once: same series, same timestamp, same fields.
 * Ingest never waits for any of this.
 */
export class InfluxReadingStore implements ReadingStore {
  readonly kind = 'influx' as const
  private readonly o: Defaults
  private readonly client: InfluxDB
  private readonly encoder: LineEncoder
  private readonly writer: LineWriter
  private spool!: Spool

  private mode: 'direct' | 'spool' = 'direct'
  private buffer: string[] = []
  /** sequence number of buffer[0]; every point gets the next number as it is written */
  private bufferSeq = 1
  private nextSeq = 1
  /** every point up to this one is in InfluxDB or in the spool (or was dropped for good) */
  private settledSeq = 0
  private waiters: { seq: number; resolve: () => void }[] = []
  /** points up to this one are to be sent now, whatever the batch size (flush) */
  private urgentSeq = 0
  private due = false
  private timer: NodeJS.Timeout | undefined
  private inflight: { lines: string[]; lastSeq: number; spilled: boolean } | undefined
  private sending = false

  private setupDone = false
  private setupRunning: Promise<void> | undefined
  private lastError: string | undefined
  private lastSuccess = 0
  private failures = 0
  private retryDelay = 0
  /** the last failure got no answer from InfluxDB at all (refused, reset, timed out), rather than an error status */
  private unreachable = false
  /** the spool chunk the last drain attempt failed to write, with its body, for the retry */
  private retrying: { chunk: SpoolChunk; body: Buffer } | undefined

  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined
  private pinger: NodeJS.Timeout | undefined
  private closing = false
  private closed: Promise<void> | undefined
  private stopped = false
  /** ends a retry's wait when the store closes */
  private readonly stopping = new AbortController()
  private dropLog = new Map<string, { count: number; lastLogged: number }>()
  /** seq ranges (inclusive) of points dropped for good: their messages get no PUBACK (`kept`) */
  private readonly lost = new LostRanges()

  private constructor(opts: InfluxStoreOptions) {
    this.o = {
      batchSize: 5000,
      flushIntervalMs: 250,
      spillAfterMs: 2000,
      writeTimeoutMs: 10_000,
      maxBufferedPoints: 50_000,
      retryMinMs: 250,
      retryMaxMs: 5000,
      pingIntervalMs: 5000,
      recoveryPingMs: 250,
      queryTimeoutMs: 10_000,
      ...opts,
      observer: opts.observer,
    }
    const t = this.o.target
    this.client = new InfluxDB({
      host: t.host,
      port: t.port,
      protocol: t.protocol,
      database: t.database,
      ...(t.username !== undefined ? { username: t.username, password: t.password ?? '' } : {}),
      pool: { maxRetries: 0, requestTimeout: this.o.queryTimeoutMs, backoff: noBackoff },
    })
    this.encoder = new LineEncoder(MEASUREMENTS)
    this.writer = new LineWriter(t, RETENTION_POLICY, this.o.writeTimeoutMs)
  }

  /**
   * Opens the spool left by an earlier run (it drains first, before anything newer), and
   * waits up to `waitForInfluxMs` for the database to be set up; when InfluxDB is not there the
   * store starts anyway and spools.
   */
  static async open(opts: InfluxStoreOptions & { waitForInfluxMs?: number }): Promise<InfluxReadingStore> {
    const store = new InfluxReadingStore(opts)
    const log = store.o.log
    store.spool = await Spool.open({
      dir: join(opts.dataDir, 'influx-spool'),
      maxBytes: opts.spoolMaxBytes,
      segmentBytes: Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.floor(opts.spoolMaxBytes / 8))),
      onChange: () => {
        store.report()
        store.wake?.()
      },
      onDrop: (n, reason, detail) => store.dropped(n, reason, detail),
      onError: (err) => log.error({ err, dir: join(opts.dataDir, 'influx-spool') }, 'cannot write the InfluxDB spool; retrying'),
    })
    if (!store.spool.isEmpty) {
      store.mode = 'spool'
      log.warn({ points: store.spool.pendingLines, bytes: store.spool.pendingBytes }, 'InfluxDB spool from an earlier run: draining it before newer readings')
    }
    const wait = opts.waitForInfluxMs ?? 3000
    if (wait > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([store.ensureSetup().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, wait)))])
      clearTimeout(timer)
      if (!store.setupDone) log.warn({ influx: opts.target.display, error: store.lastError }, 'InfluxDB is not reachable yet: readings are spooled until it is')
    }
    store.loop = store.run()
    store.pinger = setInterval(() => void store.probe(), store.o.pingIntervalMs)
    store.pinger.unref()
    store.report()
    return store
  }

  write(points: Point[]): void {
    if (this.stopped) {
      this.dropped(points.length, 'closed', 'the store is closing')
      this.lost.add(this.nextSeq, this.nextSeq + points.length - 1)
      this.nextSeq += points.length
      this.bufferSeq = this.nextSeq
      this.settle(this.nextSeq - 1)
      return
    }
    for (const p of points) {
      let line: string
      try {
        line = this.encoder.encode(p)
      } catch (err) {
        this.dropped(1, 'invalid', `${p.measurement} point for ${p.subject}: ${(err as Error).message}`)
        continue
      }
      this.buffer.push(line)
      this.nextSeq++
    }
    if (this.buffer.length >= this.o.batchSize) this.batchDue()
    else if (this.buffer.length > 0) this.timer ??= setTimeout(() => this.batchDue(), this.o.flushIntervalMs)
    if (this.inflight && this.mode === 'direct' && this.buffer.length > this.o.maxBufferedPoints) {
      this.spill(`${this.buffer.length} readings are waiting behind a slow InfluxDB write`)
    }
  }

  async history(q: HistoryQuery): Promise<HistoryPoint[]> {
    // What was written just before is included; a failing disk does not hang the request, though.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, 2000)))])
    clearTimeout(timer)
    const s = seriesOf(q)
    if (!s) return []
    // InfluxDB's time is int64 nanoseconds: it ends in the year 2262.
    const int = (n: number, name: string) => {
      if (!Number.isFinite(n)) throw new AppError('BAD_REQUEST', `${name}: must be a number`)
      return Math.min(MAX_TIME_MS, Math.max(0, Math.floor(n)))
    }
    const from = int(q.from, 'from')
    const to = int(q.to, 'to')
    const limit = Math.max(1, int(q.limit, 'limit'))
    const step = q.step === undefined ? undefined : Math.max(1, int(q.step, 'step'))
    // Identifiers quoted by the client's escaper ("key" is an InfluxQL keyword); the station and
    // subject ids are bound parameters, never pasted into the query; numbers are integers we made.
    const field = escape.quoted(s.field)
    const query =
      `SELECT ${step ? `last(${field})` : field} FROM ${escape.quoted(RETENTION_POLICY)}.${escape.quoted(s.measurement)}` +
      ` WHERE "station" = $station AND ${escape.quoted(s.tag)} = $id AND time >= ${from}ms AND time < ${to + 1}ms` +
      (step ? ` GROUP BY time(${step}ms) fill(none)` : '') +
      ` ORDER BY time ASC LIMIT ${limit}`
    let res: { results?: { error?: string; series?: { values?: [number, unknown][] }[] }[]; error?: string }
    try {
      if (!this.setupDone) await this.ensureSetup()
      res = (await this.client.queryRaw(query, { placeholders: { station: q.station, id: s.id }, precision: 'ms' })) as typeof res
    } catch (err) {
      throw new AppError('STORE_UNAVAILABLE', `history is not available: InfluxDB did not answer (${(err as Error).message})`)
    }
    const result = res.results?.[0]
    const error = res.error ?? result?.error
    if (error) throw new AppError('STORE_UNAVAILABLE', `history is not available: InfluxDB refused the query (${error})`)
    const points: HistoryPoint[] = []
    for (const series of result?.series ?? []) {
      for (const [t, v] of series.values ?? []) points.push({ t, v: decode(v, q.valueType) })
    }
    return points
  }

  /** Sends what is queued now; resolves when every point written so far is in InfluxDB or in the fsync'd spool. */
  flush(): Promise<void> {
    const target = this.nextSeq - 1
    if (this.settledSeq >= target) return Promise.resolve()
    this.urgentSeq = Math.max(this.urgentSeq, target)
    const p = this.waitFor(target)
    this.batchDue()
    return p
  }

  /**
   * Resolves when every point written so far is in InfluxDB or in the fsync'd spool, in the
   * store's own batch rhythm (at most `flushIntervalMs` plus one write): QoS 1 PUBACKs wait for
   * this, and it must not turn every message into a write of its own.
   */
  durable(): Promise<void> {
    const target = this.nextSeq - 1
    if (this.settledSeq >= target) return Promise.resolve()
    return this.waitFor(target)
  }

  /** Points written so far (each message's points are a range of these). */
  position(): number {
    return this.nextSeq - 1
  }

  /** Whether every point in `(from, to]` was kept (asked once `durable()` covers them). */
  kept(from: number, to: number): boolean {
    return !this.lost.overlaps(from + 1, to)
  }

  health(): StoreHealth {
    const spooled = this.spooledPoints()
    const error = this.spool.overLimit
      ? `the InfluxDB spool is full (limit ${formatBytes(this.spool.maxBytes)}): ${this.spool.droppedTotal} reading(s) dropped`
      : (this.spool.lastError ?? this.lastError ?? (this.setupDone ? undefined : 'InfluxDB is not set up yet'))
    return { kind: 'influx', ok: error === undefined, spooled, ...(error ? { error } : {}) }
  }

  /** Sends what is queued (for a few seconds at most); whatever is still only in memory then is spooled. */
  close(timeoutMs = 3000): Promise<void> {
    return (this.closed ??= this.shutDown(timeoutMs))
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    this.closing = true
    clearInterval(this.pinger)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
    clearTimeout(timer)
    if (this.settledSeq < this.nextSeq - 1) this.spill('the service is stopping')
    clearTimeout(this.timer)
    this.stopped = true
    this.wake?.()
    this.stopping.abort()
    this.writer.destroy()
    // The sender stops after its current step; a database set-up hung on a stopped InfluxDB is not waited for.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000).unref())])
    await this.spool.close()
    this.settle(this.nextSeq - 1)
    this.report()
  }

  // ---- the sender ------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.mode === 'direct') {
        if (this.buffer.length && (this.due || this.buffer.length >= this.o.batchSize || this.bufferSeq <= this.urgentSeq)) {
          await this.sendBatch()
        } else {
          await this.sleep()
        }
        continue
      }
      const step = await this.drainOnce()
      if (step === 'drained') {
        this.mode = 'direct'
        this.o.log.info({ influx: this.o.target.display }, 'InfluxDB spool drained and removed: writing directly again')
        this.report()
      } else if (step === 'failed') {
        this.retryDelay = Math.min(this.o.retryMaxMs, Math.max(this.o.retryMinMs, this.retryDelay * 2))
        await this.backoff(this.retryDelay)
      } else if (step === 'waiting') {
        await this.sleep()
      }
    }
  }

  private async sendBatch(): Promise<void> {
    const lines = this.buffer.splice(0, this.o.batchSize)
    const lastSeq = this.bufferSeq + lines.length - 1
    this.bufferSeq += lines.length
    this.due = false
    if (this.buffer.length) this.timer ??= setTimeout(() => this.batchDue(), this.o.flushIntervalMs)
    const batch = (this.inflight = { lines, lastSeq, spilled: false })
    this.sending = true
    const spillTimer = setTimeout(() => this.spill(`InfluxDB has not answered a write for ${this.o.spillAfterMs} ms`), this.o.spillAfterMs)
    try {
      await this.ensureSetup()
      const started = performance.now()
      await this.writer.write(batchBody(lines))
      this.succeeded((performance.now() - started) / 1000, lines.length)
      if (!batch.spilled) this.settle(lastSeq)
    } catch (err) {
      if (err instanceof WriteError && err.kind === 'rejected') {
        this.rejected(err, lines.length, batch.spilled)
        if (!batch.spilled) this.settle(lastSeq)
      } else if (!this.stopped) {
        this.failed(err)
        this.spill(this.lastError ?? 'InfluxDB write failed')
      }
    } finally {
      clearTimeout(spillTimer)
      this.inflight = undefined
      this.sending = false
    }
  }

  private async drainOnce(): Promise<'progress' | 'drained' | 'waiting' | 'failed'> {
    try {
      await this.ensureSetup()
    } catch {
      return 'failed'
    }
    if (this.stopped) return 'progress'
    // Only this loop reads and acknowledges the spool, so its head is still the chunk that failed.
    let next = this.retrying
    if (!next) {
      const chunk = await this.spool.read(this.o.batchSize, DRAIN_MAX_BYTES)
      if (this.stopped) return 'progress'
      if (!chunk) {
        // Nothing on disk to read: either all drained, or an append is still on its way.
        return this.spool.isEmpty ? 'drained' : 'waiting'
      }
      if (chunk.lines.length === 0) {
        await this.spool.ack(chunk)
        return 'progress'
      }
      next = { chunk, body: batchBody(chunk.lines) }
    }
    const { chunk, body } = next
    this.sending = true
    try {
      const started = performance.now()
      await this.writer.write(body)
      this.retrying = undefined
      this.succeeded((performance.now() - started) / 1000, chunk.lines.length)
      await this.spool.ack(chunk)
      return 'progress'
    } catch (err) {
      if (err instanceof WriteError && err.kind === 'rejected') {
        this.retrying = undefined
        this.rejected(err, chunk.lines.length, false)
        await this.spool.ack(chunk)
        return 'progress'
      }
      if (this.stopped) return 'progress'
      this.retrying = next
      this.failed(err)
      return 'failed'
    } finally {
      this.sending = false
    }
  }

  /** From direct writes to the spool: the batch in flight first, then everything behind it. */
  private spill(reason: string): void {
    if (this.mode === 'direct') {
      this.mode = 'spool'
      this.failures++
      if (!this.closing) this.lastError ??= `InfluxDB at ${this.o.target.display} is unavailable: ${reason}`
      this.o.log.warn({ influx: this.o.target.display, reason }, 'InfluxDB unavailable: spooling readings to disk until it is back')
      const b = this.inflight
      if (b && !b.spilled) {
        b.spilled = true
        void this.spool.append(b.lines).then((kept) => this.spooled(b.lines.length, kept, b.lastSeq))
      }
    }
    this.moveBufferToSpool()
    this.wake?.()
  }

  private moveBufferToSpool(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.due = false
    if (this.buffer.length === 0) return
    const lines = this.buffer
    this.buffer = []
    const lastSeq = this.bufferSeq + lines.length - 1
    this.bufferSeq += lines.length
    void this.spool.append(lines).then((kept) => this.spooled(lines.length, kept, lastSeq))
    this.report()
  }

  private batchDue(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.mode === 'spool') {
      this.moveBufferToSpool()
      return
    }
    if (this.buffer.length === 0) return
    this.due = true
    this.wake?.()
  }

  private sleep(ms?: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      this.wake = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
      if (ms !== undefined) timer = setTimeout(() => this.wake?.(), ms)
    })
  }

  /**
   * Waits out a retry's delay. New readings reaching the spool do not cut it short (every flush
   * would be an attempt against a server that is down). An InfluxDB that did not answer at all
   * and now answers a ping does: the drain then starts at once instead of up to `retryMaxMs`
   * later. One that answers writes with errors (a 500) waits out the delay; its pings prove nothing.
   */
  private async backoff(ms: number): Promise<void> {
    const until = performance.now() + ms
    let unreachable = this.unreachable
    for (;;) {
      const left = until - performance.now()
      if (left <= 0 || this.stopped) return
      await delay(Math.min(left, this.o.recoveryPingMs), undefined, { signal: this.stopping.signal }).catch(() => undefined)
      if (this.stopped || performance.now() >= until) return
      const up = await this.answersPing(Math.min(1000, this.o.recoveryPingMs * 4))
      if (!up) unreachable = true
      else if (unreachable) return
    }
  }

  private async answersPing(timeoutMs: number): Promise<boolean> {
    try {
      const [host] = await this.client.ping(timeoutMs)
      return host?.online === true
    } catch {
      return false
    }
  }

  /** Waiters are added with non-decreasing targets, so they are settled from the front. */
  private waitFor(seq: number): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push({ seq, resolve }))
  }

  /** A group of points ending at `lastSeq` reached the spool; those past the first `kept` were dropped. */
  private spooled(lines: number, kept: number, lastSeq: number): void {
    if (kept < lines) this.lost.add(lastSeq - (lines - kept) + 1, lastSeq)
    this.settle(lastSeq)
  }

  private settle(seq: number): void {
    if (seq <= this.settledSeq) return
    this.settledSeq = seq
    let i = 0
    while (i < this.waiters.length && this.waiters[i]!.seq <= seq) this.waiters[i++]!.resolve()
    if (i > 0) this.waiters.splice(0, i)
  }

  // ---- InfluxDB's state ---------------------------------------------------------------------

  private ensureSetup(): Promise<void> {
    if (this.setupDone) return Promise.resolve()
    return (this.setupRunning ??= ensureDatabase(this.client, this.o.target.database, this.o.retention)
      .then((r) => {
        this.setupDone = true
        this.lastError = undefined
        this.o.log.info({ influx: this.o.target.display, retentionPolicy: RETENTION_POLICY, duration: r.duration, action: r.action }, 'InfluxDB database ready')
      })
      .catch((err: unknown) => {
        this.failed(err, 'database set-up')
        throw err
      })
      .finally(() => (this.setupRunning = undefined)))
  }

  /** While idle, a ping tells health whether InfluxDB is there; writes tell it otherwise. */
  private async probe(): Promise<void> {
    // While spooling, the drain's own attempts tell; a ping that answers proves no write would.
    if (this.mode === 'spool' || this.sending || this.closing || Date.now() - this.lastSuccess < this.o.pingIntervalMs) return
    try {
      const failures = this.failures
      const [host] = await this.client.ping(Math.min(2000, this.o.pingIntervalMs))
      if (!host?.online) throw new Error('InfluxDB does not answer /ping')
      if (!this.setupDone) await this.ensureSetup()
      // A write that failed while the ping was out knows better.
      if (this.failures !== failures || this.sending) return
      this.lastError = undefined
      this.lastSuccess = Date.now()
    } catch (err) {
      this.failed(err, 'ping')
    }
    this.report()
  }

  private succeeded(seconds: number, points: number): void {
    if (this.lastError) this.o.log.info({ influx: this.o.target.display }, 'InfluxDB is reachable again')
    this.lastError = undefined
    this.lastSuccess = Date.now()
    this.retryDelay = 0
    this.o.observer?.written(seconds, points)
    this.report()
  }

  private failed(err: unknown, what = 'write'): void {
    this.failures++
    this.unreachable = !answered(err)
    const kind = err instanceof WriteError ? err.kind : 'retry'
    if (err instanceof WriteError && err.kind === 'missing-database') this.setupDone = false
    const message = err instanceof Error ? err.message : String(err)
    const text = `InfluxDB at ${this.o.target.display} is unavailable: ${message}`
    if (text !== this.lastError) this.o.log.warn({ influx: this.o.target.display, err: message }, `InfluxDB ${what} failed`)
    this.lastError = text
    if (what === 'write') this.o.observer?.writeFailed(kind)
    this.report()
  }

  private rejected(err: WriteError, points: number, alreadyCounted: boolean): void {
    // InfluxDB kept the valid points of the batch; the others can never be written.
    this.o.observer?.writeFailed('rejected')
    const told = /dropped=(\d+)/.exec(err.message)
    if (!alreadyCounted) this.dropped(told ? Math.min(points, Number(told[1])) : points, 'rejected', err.message)
    this.lastSuccess = Date.now()
  }

  private dropped(points: number, reason: DropReason, detail: string): void {
    if (points <= 0) return
    this.o.observer?.dropped(points, reason)
    // Loud, but at most one line per reason every 10 s.
    const entry = this.dropLog.get(reason) ?? { count: 0, lastLogged: 0 }
    entry.count += points
    const now = Date.now()
    if (now - entry.lastLogged >= 10_000) {
      const msg =
        reason === 'rejected'
          ? 'InfluxDB rejected points of a batch (the valid ones were stored)'
          : reason === 'spool-full'
            ? `InfluxDB spool is over its limit of ${formatBytes(this.spool?.maxBytes ?? 0)} (INFLUX_SPOOL_MAX_MB): readings are being DROPPED until InfluxDB is back`
            : 'readings dropped: they cannot be written to InfluxDB'
      this.o.log.error({ reason, points: entry.count, detail }, msg)
      entry.count = 0
      entry.lastLogged = now
    }
    this.dropLog.set(reason, entry)
    this.report()
  }

  private spooledPoints(): number {
    return (this.spool?.pendingLines ?? 0) + (this.mode === 'spool' ? this.buffer.length : 0)
  }

  private report(): void {
    if (!this.spool) return
    this.o.observer?.spool(this.spooledPoints(), this.spool.pendingBytes, this.spool.overLimit)
  }
}

/** Whether InfluxDB answered the request that failed (an error status) rather than not at all. */
function answered(err: unknown): boolean {
  if (err instanceof WriteError) return err.status !== undefined
  // The `influx` client's RequestError carries the response it got.
  return typeof err === 'object' && err !== null && 'res' in err && err.res !== undefined
}

function decode(v: unknown, valueType: HistoryQuery['valueType']): boolean | number | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return valueType === 'boolean' ? v : v ? 1 : 0
  if (typeof v === 'number') return valueType === 'boolean' ? v !== 0 : v
  return null
}
