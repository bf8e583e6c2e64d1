import type { Point } from '../../ports.ts'
import type { LineEncoder } from './line-protocol.ts'
import { batchBody, type LineWriter, WriteError } from './line-writer.ts'
import type { PointSequence } from './point-sequence.ts'
import type { Reachability } from './reachability.ts'
import { SpoolDrainer } from './spool-drainer.ts'
import type { Spool } from './spool.ts'
import type { DropReason, InfluxStoreSettings } from './store-options.ts'

/**
 * Where the pipeline sends readings; the one state of the write path.
 *
 *   direct    batches go straight to InfluxDB, one write in flight at a time
 *   spooling  every batch is appended to the spool, in arrival order; the drainer sends the
 *             spool's head and retries with backoff while InfluxDB is away
 *   stopped   the store is closed: nothing is sent, and new points are dropped ('closed')
 *
 *   direct   ──spill──▶ spooling    a write failed, took longer than `spillAfterMs`, too many points
 *                                   wait behind a slow one, or the store is closing with points unsent
 *   spooling ──drained─▶ direct     the spool is empty (and removed)
 *   direct | spooling ──stop──▶ stopped
 *
 * A store opened on a spool left by an earlier run starts in `spooling`, so that spool drains first.
 */
export type WriteRoute = 'direct' | 'spooling' | 'stopped'

export interface WritePipelineOptions {
  settings: InfluxStoreSettings
  seq: PointSequence
  encoder: LineEncoder
  writer: LineWriter
  spool: Spool
  link: Reachability
  startIn: 'direct' | 'spooling'
  /** direct → spooling, with why */
  spilled: (reason: string) => void
  /** spooling → direct */
  drained: () => void
  /** what waits for the spool changed */
  changed: () => void
  dropped: (points: number, reason: DropReason, detail: string) => void
}

/**
 * The write path: `write()` encodes each point to line protocol at once (its unique nanosecond
 * timestamp is fixed there) and queues it in memory; one sender writes batches of up to
 * `batchSize` points, when a batch is full or its oldest point has waited `flushIntervalMs`.
 * Only one write is in flight at a time, so InfluxDB sees the points in the order they came.
 * A point written twice (a slow write that did land, then its spooled copy) is stored once:
 * same series, same timestamp, same fields. Ingest never waits for any of this.
 */
export class WritePipeline {
  private route: WriteRoute
  private buffer: string[] = []
  /** sequence number of buffer[0] */
  private bufferSeq = 1
  /** points up to this one are to be sent now, whatever the batch size (flush) */
  private urgentSeq = 0
  /** the oldest buffered point has waited `flushIntervalMs` */
  private due = false
  /** a `hurrySoon` cut is scheduled for the end of this turn */
  private cutPending = false
  private timer: NodeJS.Timeout | undefined
  private inflight: { lines: string[]; lastSeq: number; spilled: boolean } | undefined
  private readonly drainer: SpoolDrainer
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined
  /** ends a retry's wait (and the drain's step) when the store closes */
  private readonly stopping = new AbortController()

  constructor(private readonly o: WritePipelineOptions) {
    this.route = o.startIn
    this.drainer = new SpoolDrainer({ spool: o.spool, writer: o.writer, link: o.link, batchSize: o.settings.batchSize, stopping: this.stopping.signal })
  }

  get state(): WriteRoute {
    return this.route
  }

  /** whether a write (direct or of the drain) is in flight */
  get writing(): boolean {
    return this.inflight !== undefined || this.drainer.writing
  }

  /** points in memory that are on their way to the spool */
  get waitingForSpool(): number {
    return this.route === 'spooling' ? this.buffer.length : 0
  }

  start(): void {
    this.loop = this.run()
  }

  write(points: Point[]): void {
    const { seq, settings } = this.o
    if (this.route === 'stopped') {
      this.o.dropped(points.length, 'closed', 'the store is closing')
      seq.markLost(seq.last + 1, seq.last + points.length)
      seq.issue(points.length)
      this.bufferSeq = seq.last + 1
      seq.settle(seq.last)
      return
    }
    for (const p of points) {
      let line: string
      try {
        line = this.o.encoder.encode(p)
      } catch (err) {
        this.o.dropped(1, 'invalid', `${p.measurement} point for ${p.subject}: ${(err as Error).message}`)
        continue
      }
      this.buffer.push(line)
      seq.issue(1)
    }
    if (this.buffer.length >= settings.batchSize) this.batchDue()
    else if (this.buffer.length > 0) this.timer ??= setTimeout(() => this.batchDue(), settings.flushIntervalMs)
    if (this.inflight && this.route === 'direct' && this.buffer.length > settings.maxBufferedPoints) {
      this.spill(`${this.buffer.length} readings are waiting behind a slow InfluxDB write`)
    }
  }

  /** Sends the points up to `seq` now, whatever the batch size. */
  hurry(seq: number): void {
    this.urgentSeq = Math.max(this.urgentSeq, seq)
    this.batchDue()
  }

  /**
   * Somebody waits for the points up to `seq` (a PUBACK): they are cut at the end of this
   * event-loop turn, so every socket read of the turn shares the batch, and go out at once if
   * nothing is being written, else the moment the write in flight ends, together with whatever
   * arrived meanwhile (leader/follower: batches grow with the load, no timer on the path).
   * In spooling mode the spool's appender groups the same way behind its fsync.
   */
  hurrySoon(seq: number): void {
    this.urgentSeq = Math.max(this.urgentSeq, seq)
    if (this.cutPending) return
    this.cutPending = true
    setImmediate(() => {
      this.cutPending = false
      this.batchDue()
    })
  }

  /** Something reached the spool: a drain waiting for it reads on. */
  wakeUp(): void {
    this.wake?.()
  }

  /** From direct writes to the spool: the batch in flight first, then everything behind it. */
  spill(reason: string): void {
    if (this.route === 'direct') {
      this.route = 'spooling'
      this.o.spilled(reason)
      const b = this.inflight
      if (b && !b.spilled) {
        b.spilled = true
        void this.o.spool.append(b.lines).then((kept) => this.o.seq.spooled(b.lines.length, kept, b.lastSeq))
      }
    }
    this.moveBufferToSpool()
    this.wake?.()
  }

  /** Ends the sender after its current step; a database set-up hung on a stopped InfluxDB is not waited for. */
  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.route = 'stopped'
    this.wake?.()
    this.stopping.abort()
    this.o.writer.destroy()
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000).unref())])
  }

  private async run(): Promise<void> {
    while (this.route !== 'stopped') {
      if (this.route === 'direct') {
        if (this.buffer.length && (this.due || this.buffer.length >= this.o.settings.batchSize || this.bufferSeq <= this.urgentSeq)) {
          await this.sendBatch()
        } else {
          await this.sleep()
        }
        continue
      }
      const step = await this.drainer.step()
      if (step === 'drained') {
        if (this.route === 'spooling') {
          this.route = 'direct'
          this.o.drained()
        }
      } else if (step === 'failed') {
        await this.o.link.waitToRetry(this.o.link.nextRetryDelay(), this.stopping.signal)
      } else if (step === 'waiting') {
        await this.sleep()
      }
    }
  }

  private async sendBatch(): Promise<void> {
    const { settings, link, seq } = this.o
    const lines = this.buffer.splice(0, settings.batchSize)
    const lastSeq = this.bufferSeq + lines.length - 1
    this.bufferSeq += lines.length
    this.due = false
    if (this.buffer.length) this.timer ??= setTimeout(() => this.batchDue(), settings.flushIntervalMs)
    const batch = (this.inflight = { lines, lastSeq, spilled: false })
    const spillTimer = setTimeout(() => this.spill(`InfluxDB has not answered a write for ${settings.spillAfterMs} ms`), settings.spillAfterMs)
    try {
      await link.ensureSetup()
      const started = performance.now()
      await this.o.writer.write(batchBody(lines))
      link.succeeded((performance.now() - started) / 1000, lines.length)
      if (!batch.spilled) seq.settle(lastSeq)
    } catch (err) {
      if (err instanceof WriteError && err.kind === 'rejected') {
        link.rejected(err, lines.length, batch.spilled)
        if (!batch.spilled) seq.settle(lastSeq)
      } else if (this.route !== 'stopped') {
        link.failed(err)
        this.spill(link.lastError ?? 'InfluxDB write failed')
      }
    } finally {
      clearTimeout(spillTimer)
      this.inflight = undefined
    }
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
    void this.o.spool.append(lines).then((kept) => this.o.seq.spooled(lines.length, kept, lastSeq))
    this.o.changed()
  }

  private batchDue(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.route === 'spooling') {
      this.moveBufferToSpool()
      return
    }
    if (this.buffer.length === 0) return
    this.due = true
    this.wake?.()
  }

  private sleep(): Promise<void> {
    if (this.route === 'stopped') return Promise.resolve()
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined
        resolve()
      }
    })
  }
}
