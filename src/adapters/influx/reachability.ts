import { setTimeout as delay } from 'node:timers/promises'
import { InfluxDB, type IPoolOptions } from 'influx'
import { ensureDatabase, RETENTION_POLICY } from './influx-setup.ts'
import { WriteError } from './line-writer.ts'
import type { DropReason, InfluxStoreSettings } from './store-options.ts'

/** The `influx` pool would otherwise blacklist the host for a while after each failure, on top of our own retries. */
type Backoff = NonNullable<IPoolOptions['backoff']>
const noBackoff: Backoff = { getDelay: () => 0, next: () => noBackoff, reset: () => noBackoff }

export interface ReachabilityOptions {
  settings: InfluxStoreSettings
  /** health or depth may have changed: report it */
  changed: () => void
  dropped: (points: number, reason: DropReason, detail: string) => void
  /** whether the writes themselves tell now (spooling, a write in flight, closing), so no ping is needed */
  writesTell: () => boolean
  /** whether a write is in flight */
  writing: () => boolean
}

/**
 * What the store knows of InfluxDB being there: the database set-up, the outcome of the last
 * write, a ping while nothing else tells, and how long to wait before the next retry. Health's
 * error is `lastError`; `ready` is whether the database and retention policy are set up.
 */
export class Reachability {
  readonly client: InfluxDB
  private error: string | undefined
  private setUp = false
  private setupRunning: Promise<void> | undefined
  private lastSuccess = 0
  /** every failure counts, so a ping that was out while one happened does not clear it */
  private failures = 0
  private retryDelay = 0
  /** the last failure got no answer from InfluxDB at all (refused, reset, timed out), rather than an error status */
  private unreachable = false
  private pinger: NodeJS.Timeout | undefined

  constructor(private readonly o: ReachabilityOptions) {
    const t = o.settings.target
    this.client = new InfluxDB({
      host: t.host,
      port: t.port,
      protocol: t.protocol,
      database: t.database,
      ...(t.username !== undefined ? { username: t.username, password: t.password ?? '' } : {}),
      pool: { maxRetries: 0, requestTimeout: o.settings.queryTimeoutMs, backoff: noBackoff },
    })
  }

  get ready(): boolean {
    return this.setUp
  }

  get lastError(): string | undefined {
    return this.error
  }

  ensureSetup(): Promise<void> {
    if (this.setUp) return Promise.resolve()
    const { target, retention, log } = this.o.settings
    return (this.setupRunning ??= ensureDatabase(this.client, target.database, retention)
      .then((r) => {
        this.setUp = true
        this.error = undefined
        log.info({ influx: target.display, retentionPolicy: RETENTION_POLICY, duration: r.duration, action: r.action }, 'InfluxDB database ready')
      })
      .catch((err: unknown) => {
        this.failed(err, 'database set-up')
        throw err
      })
      .finally(() => (this.setupRunning = undefined)))
  }

  startProbing(): void {
    this.pinger = setInterval(() => void this.probe(), this.o.settings.pingIntervalMs)
    this.pinger.unref()
  }

  stopProbing(): void {
    clearInterval(this.pinger)
  }

  /** While idle, a ping tells health whether InfluxDB is there; writes tell it otherwise. */
  private async probe(): Promise<void> {
    // While spooling, the drain's own attempts tell; a ping that answers proves no write would.
    if (this.o.writesTell() || Date.now() - this.lastSuccess < this.o.settings.pingIntervalMs) return
    try {
      const failures = this.failures
      const [host] = await this.client.ping(Math.min(2000, this.o.settings.pingIntervalMs))
      if (!host?.online) throw new Error('InfluxDB does not answer /ping')
      if (!this.setUp) await this.ensureSetup()
      // A write that failed while the ping was out knows better.
      if (this.failures !== failures || this.o.writing()) return
      this.error = undefined
      this.lastSuccess = Date.now()
    } catch (err) {
      this.failed(err, 'ping')
    }
    this.o.changed()
  }

  /** The delay before the next retry of the spool: doubling from `retryMinMs` up to `retryMaxMs`, reset by any success. */
  nextRetryDelay(): number {
    const { retryMinMs, retryMaxMs } = this.o.settings
    return (this.retryDelay = Math.min(retryMaxMs, Math.max(retryMinMs, this.retryDelay * 2)))
  }

  /**
   * Waits out a retry's delay. New readings reaching the spool do not cut it short (every flush
   * would be an attempt against a server that is down). An InfluxDB that did not answer at all
   * and now answers a ping does: the drain then starts at once instead of up to `retryMaxMs`
   * later. One that answers writes with errors (a 500) waits out the delay; its pings prove nothing.
   */
  async waitToRetry(ms: number, stopping: AbortSignal): Promise<void> {
    const { recoveryPingMs } = this.o.settings
    const until = performance.now() + ms
    let unreachable = this.unreachable
    for (;;) {
      const left = until - performance.now()
      if (left <= 0 || stopping.aborted) return
      await delay(Math.min(left, recoveryPingMs), undefined, { signal: stopping }).catch(() => undefined)
      if (stopping.aborted || performance.now() >= until) return
      const up = await this.answersPing(Math.min(1000, recoveryPingMs * 4))
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

  /** The store stopped writing directly: health says why, unless the service is only stopping. */
  wentAway(reason: string, tellHealth: boolean): void {
    const display = this.o.settings.target.display
    this.failures++
    if (tellHealth) this.error ??= `InfluxDB at ${display} is unavailable: ${reason}`
    this.o.settings.log.warn({ influx: display, reason }, 'InfluxDB unavailable: spooling readings to disk until it is back')
  }

  succeeded(seconds: number, points: number): void {
    if (this.error) this.o.settings.log.info({ influx: this.o.settings.target.display }, 'InfluxDB is reachable again')
    this.error = undefined
    this.lastSuccess = Date.now()
    this.retryDelay = 0
    this.o.settings.observer?.written(seconds, points)
    this.o.changed()
  }

  failed(err: unknown, what = 'write'): void {
    this.failures++
    this.unreachable = !answered(err)
    const kind = err instanceof WriteError ? err.kind : 'retry'
    if (err instanceof WriteError && err.kind === 'missing-database') this.setUp = false
    const message = err instanceof Error ? err.message : String(err)
    const display = this.o.settings.target.display
    const text = `InfluxDB at ${display} is unavailable: ${message}`
    if (text !== this.error) this.o.settings.log.warn({ influx: display, err: message }, `InfluxDB ${what} failed`)
    this.error = text
    if (what === 'write') this.o.settings.observer?.writeFailed(kind)
    this.o.changed()
  }

  /** InfluxDB kept the valid points of the batch; the others can never be written. */
  rejected(err: WriteError, points: number, alreadyCounted: boolean): void {
    this.o.settings.observer?.writeFailed('rejected')
    const told = /dropped=(\d+)/.exec(err.message)
    if (!alreadyCounted) this.o.dropped(told ? Math.min(points, Number(told[1])) : points, 'rejected', err.message)
    this.lastSuccess = Date.now()
  }
}

/** Whether InfluxDB answered the request that failed (an error status) rather than not at all. */
function answered(err: unknown): boolean {
  if (err instanceof WriteError) return err.status !== undefined
  // The `influx` client's RequestError carries the response it got.
  return typeof err === 'object' && err !== null && 'res' in err && err.res !== undefined
}
