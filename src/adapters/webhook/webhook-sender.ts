import type { Logger } from 'pino'
import type { Severity } from '../../alerts/alert.ts'
import { NoticeQueue, type AlertNotice } from './notice-queue.ts'

export type { AlertNotice } from './notice-queue.ts'

export interface WebhookState { configured: boolean; pending: number; delivered: number; failedAttempts: number; dropped: number; coalesced: number; failing: boolean; lastError?: string }

export interface WebhookObserver {
  attempt?(ok: boolean): void
  /** a change that will never be sent, by its alert's severity (never critical) */
  dropped?(severity: Severity): void
  /** a waiting change replaced by a later change of the same alert */
  coalesced?(): void
}

/**
 * Alert changes kept in memory while the receiver is down: some 10,000 × ~1 KB = 10 MB at most
 * for info and warning ones, hours of a busy fleet's changes with flapping damped.
 */
export const DEFAULT_MAX_QUEUE = 10_000
const TIMEOUT_MS = 5_000
const MIN_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000

/**
 * POSTs every alert change to WEBHOOK_URL, one at a time and in order, retrying
 * with exponential backoff. It runs beside ingest and never blocks it: a receiver
 * that is down only grows this bounded queue, which drops the least important
 * changes first and never a critical one (see NoticeQueue).
 */
export class WebhookSender {
  private readonly queue: NoticeQueue
  private readonly maxQueue: number
  /** set while the queue is at its bound: the log says so once, and once more when it is over */
  private overflow: { dropped: Record<Severity, number>; coalesced: number; overBound: number } | undefined
  private sending = false
  private backoff = MIN_BACKOFF_MS
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  readonly state: WebhookState

  readonly name = 'webhook'
  private readonly url: string | undefined
  private readonly log: Logger
  private readonly observer: WebhookObserver

  constructor(opts: { url: string | undefined; log: Logger; observer?: WebhookObserver; maxQueue?: number }) {
    this.url = opts.url
    this.log = opts.log
    this.observer = opts.observer ?? {}
    const maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE
    this.maxQueue = maxQueue
    this.queue = new NoticeQueue(maxQueue)
    this.state = { configured: opts.url !== undefined, pending: 0, delivered: 0, failedAttempts: 0, dropped: 0, coalesced: 0, failing: false }
  }

  send(notice: AlertNotice): void {
    if (!this.url || this.stopped) return
    const r = this.queue.offer(notice)
    if (r.kind !== 'queued') {
      if (!this.overflow) {
        this.overflow = { dropped: { info: 0, warning: 0, critical: 0 }, coalesced: 0, overBound: 0 }
        this.log.error({ limit: this.maxQueue }, 'webhook queue full: dropping the least important alert changes (info, then warning) and merging waiting changes of one alert; critical changes are all kept')
      }
      if (r.kind === 'dropped') {
        this.state.dropped++
        this.overflow.dropped[r.severity]++
        this.observer.dropped?.(r.severity)
      } else if (r.kind === 'coalesced') {
        this.state.coalesced++
        this.overflow.coalesced++
        this.observer.coalesced?.()
      } else this.overflow.overBound++
    }
    this.state.pending = this.queue.length
    this.pump()
  }

  /** Gives in-flight deliveries a moment on shutdown; what is left is logged. */
  async stop(graceMs = 2000): Promise<void> {
    const end = Date.now() + graceMs
    while (this.queue.length && !this.state.failing && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    if (this.queue.length) this.log.warn({ pending: this.queue.length }, 'webhook: alert changes not delivered before shutdown')
  }

  private pump(): void {
    if (this.sending || this.timer || this.stopped || !this.url) return
    const body = this.queue.next()
    if (body === undefined) return
    this.sending = true
    fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(TIMEOUT_MS) })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined)
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
      })
      .then(
        () => {
          this.queue.delivered()
          this.state.delivered++
          this.state.failing = false
          delete this.state.lastError
          this.backoff = MIN_BACKOFF_MS
          this.observer.attempt?.(true)
          this.endOverflow()
        },
        (err: unknown) => {
          this.queue.failed()
          this.state.failedAttempts++
          this.state.lastError = err instanceof Error ? err.message : String(err)
          if (!this.state.failing) this.log.warn({ err: this.state.lastError }, 'webhook delivery failed; retrying with backoff')
          this.state.failing = true
          this.observer.attempt?.(false)
          this.timer = setTimeout(() => {
            this.timer = undefined
            this.pump()
          }, this.backoff)
          this.timer.unref()
          this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS)
        },
      )
      .finally(() => {
        this.sending = false
        this.state.pending = this.queue.length
        if (!this.timer) this.pump()
      })
  }

  /** Once the queue is back to half its bound, the log says what the episode cost, once. */
  private endOverflow(): void {
    if (!this.overflow || this.queue.length > this.maxQueue / 2) return
    const { dropped, coalesced, overBound } = this.overflow
    this.overflow = undefined
    this.log.warn({ droppedInfo: dropped.info, droppedWarning: dropped.warning, coalesced, criticalPastLimit: overBound }, 'webhook queue below its limit again')
  }
}
