import { join } from 'node:path'
import type { HistoryPoint, HistoryQuery, Point, ReadingStore, StoreHealth } from '../../ports.ts'
import { DropReport } from './drop-report.ts'
import { queryHistory } from './history-query.ts'
import { RETENTION_POLICY } from './influx-setup.ts'
import { LineEncoder } from './line-protocol.ts'
import { LineWriter } from './line-writer.ts'
import { PointSequence } from './point-sequence.ts'
import { Reachability } from './reachability.ts'
import { MEASUREMENTS } from './schema.ts'
import { formatBytes, Spool } from './spool.ts'
import { withDefaults, type InfluxStoreOptions, type InfluxStoreSettings } from './store-options.ts'
import { WritePipeline } from './write-pipeline.ts'

export type { DropReason, InfluxStoreObserver, InfluxStoreOptions } from './store-options.ts'

/**
 * Readings in InfluxDB 1.x (contract §7), from its parts:
 *
 * - `WritePipeline` (write-pipeline.ts): batches, the write in flight, and the switch between
 *   writing directly and spooling (its state machine is documented there);
 * - `SpoolDrainer` (spool-drainer.ts): sends the spool to InfluxDB, oldest first;
 * - `Spool` (spool.ts): the readings not yet written, on disk under DATA_DIR, in order;
 * - `Reachability` (reachability.ts): database set-up, ping, retry backoff, health's error;
 * - `PointSequence` (point-sequence.ts): what `durable()`, `position()` and `kept()` answer from;
 * - `queryHistory` (history-query.ts).
 *
 * The store itself is open, then closing (sending what is queued for a few seconds), then its
 * pipeline is stopped.
 */
export class InfluxReadingStore implements ReadingStore {
  readonly kind = 'influx' as const
  private readonly o: InfluxStoreSettings
  private readonly seq = new PointSequence()
  private readonly link: Reachability
  private readonly drops: DropReport
  private spool!: Spool
  private pipeline!: WritePipeline
  private phase: 'open' | 'closing' = 'open'
  private closed: Promise<void> | undefined

  private constructor(opts: InfluxStoreOptions) {
    this.o = withDefaults(opts)
    this.drops = new DropReport({ log: this.o.log, observer: this.o.observer, spoolMaxBytes: this.o.spoolMaxBytes, changed: () => this.report() })
    this.link = new Reachability({
      settings: this.o,
      changed: () => this.report(),
      dropped: (n, reason, detail) => this.drops.dropped(n, reason, detail),
      writesTell: () => this.pipeline.state !== 'direct' || this.pipeline.writing || this.phase !== 'open',
      writing: () => this.pipeline.writing,
    })
  }

  /**
   * Opens the spool left by an earlier run (it drains first, before anything newer), and
   * waits up to `waitForInfluxMs` for the database to be set up; when InfluxDB is not there the
   * store starts anyway and spools.
   */
  static async open(opts: InfluxStoreOptions & { waitForInfluxMs?: number }): Promise<InfluxReadingStore> {
    const store = new InfluxReadingStore(opts)
    const log = store.o.log
    const dir = join(opts.dataDir, 'influx-spool')
    const spool = (store.spool = await Spool.open({
      dir,
      maxBytes: opts.spoolMaxBytes,
      segmentBytes: Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.floor(opts.spoolMaxBytes / 8))),
      onChange: () => {
        store.report()
        store.pipeline?.wakeUp()
      },
      onDrop: (n, reason, detail) => store.drops.dropped(n, reason, detail),
      onError: (err) => log.error({ err, dir }, 'cannot write the InfluxDB spool; retrying'),
    }))
    store.pipeline = new WritePipeline({
      settings: store.o,
      seq: store.seq,
      encoder: new LineEncoder(MEASUREMENTS),
      writer: new LineWriter(store.o.target, RETENTION_POLICY, store.o.writeTimeoutMs),
      spool,
      link: store.link,
      startIn: spool.isEmpty ? 'direct' : 'spooling',
      spilled: (reason) => store.link.wentAway(reason, store.phase === 'open'),
      drained: () => {
        log.info({ influx: store.o.target.display }, 'InfluxDB spool drained and removed: writing directly again')
        store.report()
      },
      changed: () => store.report(),
      dropped: (n, reason, detail) => store.drops.dropped(n, reason, detail),
    })
    if (!spool.isEmpty) {
      log.warn({ points: spool.pendingLines, bytes: spool.pendingBytes }, 'InfluxDB spool from an earlier run: draining it before newer readings')
    }
    const wait = opts.waitForInfluxMs ?? 3000
    if (wait > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([store.link.ensureSetup().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, wait)))])
      clearTimeout(timer)
      if (!store.link.ready) log.warn({ influx: opts.target.display, error: store.link.lastError }, 'InfluxDB is not reachable yet: readings are spooled until it is')
    }
    store.pipeline.start()
    store.link.startProbing()
    store.report()
    return store
  }

  write(points: Point[]): void {
    this.pipeline.write(points)
  }

  async history(q: HistoryQuery): Promise<HistoryPoint[]> {
    // What was written just before is included; a failing disk does not hang the request, though.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, 2000)))])
    clearTimeout(timer)
    return queryHistory(this.link, q)
  }

  /** Sends what is queued now; resolves when every point written so far is in InfluxDB or in the fsync'd spool. */
  flush(): Promise<void> {
    const target = this.seq.last
    if (this.seq.settled >= target) return Promise.resolve()
    const p = this.seq.waitFor(target)
    this.pipeline.hurry(target)
    return p
  }

  /**
   * Resolves when every point written so far is in InfluxDB or in the fsync'd spool: QoS 1
   * PUBACKs wait for this. The points are cut at the end of the turn and written as soon as the
   * write (or spool fsync) in flight is done, so an idle store answers in about one write and a
   * busy one in bigger batches, never one write a message.
   */
  durable(): Promise<void> {
    const target = this.seq.last
    if (this.seq.settled >= target) return Promise.resolve()
    const p = this.seq.waitFor(target)
    this.pipeline.hurrySoon(target)
    return p
  }

  /** Points written so far (each message's points are a range of these). */
  position(): number {
    return this.seq.last
  }

  /** Whether every point in `(from, to]` was kept (asked once `durable()` covers them). */
  kept(from: number, to: number): boolean {
    return this.seq.keptAll(from + 1, to)
  }

  health(): StoreHealth {
    const spooled = this.spooledPoints()
    const error = this.spool.overLimit
      ? `the InfluxDB spool is full (limit ${formatBytes(this.spool.maxBytes)}): ${this.spool.droppedTotal} reading(s) dropped`
      : (this.spool.lastError ?? this.link.lastError ?? (this.link.ready ? undefined : 'InfluxDB is not set up yet'))
    return { kind: 'influx', ok: error === undefined, spooled, ...(error ? { error } : {}) }
  }

  /** Sends what is queued (for a few seconds at most); whatever is still only in memory then is spooled. */
  close(timeoutMs = 3000): Promise<void> {
    return (this.closed ??= this.shutDown(timeoutMs))
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    this.phase = 'closing'
    this.link.stopProbing()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
    clearTimeout(timer)
    if (this.seq.settled < this.seq.last) this.pipeline.spill('the service is stopping')
    await this.pipeline.stop()
    await this.spool.close()
    this.seq.settle(this.seq.last)
    this.report()
  }

  private spooledPoints(): number {
    return (this.spool?.pendingLines ?? 0) + (this.pipeline?.waitingForSpool ?? 0)
  }

  private report(): void {
    if (!this.spool) return
    this.o.observer?.spool(this.spooledPoints(), this.spool.pendingBytes, this.spool.overLimit)
  }
}
