import type { Clock } from '../ports.ts'
import type { Language } from './config.ts'
import type { Delivery, NotifierChannel } from './ports.ts'
import { renderSummary, type NotifyAlert, type NotifyMessage, type StationInfo } from './render.ts'
import type { TimerQueue } from './timer-queue.ts'

/** One message for one alert (or a resolve announcement), waiting to be sent on one channel. */
export interface Job {
  alert: NotifyAlert
  station: StationInfo
  firing: number
  step: number
  to?: string
  message: NotifyMessage
  attempt: number
  notBefore: number
}

export interface QueueLimits {
  perMinute: number
  /** gather merged alerts this long before the first summary */
  gatherMs: number
  retryBaseMs: number
  retryMaxMs: number
  /** non-critical messages are given up after this many failed attempts; critical never */
  attempts: number
  maxJobs: number
}

export interface QueueHooks {
  /** false once the alert is acknowledged or resolved: its messages stop, also between retries */
  isLive(job: Job): boolean
  record(d: Delivery): void
  warn(obj: object, msg: string): void
}

const MINUTE = 60_000

/**
 * The outbound queue of one channel: one request in flight at a time, at most `perMinute` requests
 * a minute, failed sends retried with backoff. Alerts past the rate (or sent here merged because
 * their station is in a storm) wait in a bucket that goes out as one summary per minute.
 */
export class ChannelQueue {
  private readonly jobs: Job[] = []
  private bucket: Job[] = []
  private bucketSince = 0
  private summaryAttempt = 0
  private summaryNotBefore = 0
  private lastSummaryAt = -Infinity
  private readonly sentAt: number[] = []
  private inFlight: Promise<void> | undefined
  private closed = false
  lastSuccessAt: number | undefined
  lastError: { at: number; message: string } | undefined

  readonly name: string
  private readonly channel: NotifierChannel
  private readonly language: Language
  private readonly publicUrl: string
  private readonly clock: Clock
  private readonly timers: TimerQueue
  private readonly limits: QueueLimits
  private readonly hooks: QueueHooks

  constructor(opts: { name: string; channel: NotifierChannel; language: Language; publicUrl: string; clock: Clock; timers: TimerQueue; limits: QueueLimits; hooks: QueueHooks }) {
    this.name = opts.name
    this.channel = opts.channel
    this.language = opts.language
    this.publicUrl = opts.publicUrl
    this.clock = opts.clock
    this.timers = opts.timers
    this.limits = opts.limits
    this.hooks = opts.hooks
  }

  get queued(): number {
    return this.jobs.length + this.bucket.length
  }

  get merges(): boolean {
    // A webhook receiver is a machine: it gets every change on its own, and drops the least severe first.
    return this.channel.type !== 'webhook'
  }

  enqueue(job: Job): void {
    if (this.jobs.length >= this.limits.maxJobs) this.shed(job)
    else this.jobs.push(job)
    this.pump()
  }

  /** Sends this alert in the next summary instead of on its own (storm at its station). */
  merge(job: Job): void {
    if (!this.merges) return this.enqueue(job)
    if (!this.bucket.length) this.bucketSince = this.clock.now()
    this.bucket.push(job)
    this.pump()
  }

  /** Forgets every message of an alert that was acknowledged or resolved. */
  cancel(alertId: string): void {
    const keep = (j: Job) => j.alert.id !== alertId || j.message.kind === 'resolved'
    this.jobs.splice(0, this.jobs.length, ...this.jobs.filter(keep))
    this.bucket = this.bucket.filter(keep)
  }

  /** Sends at once, outside the queue (the admin's test button); counts toward the rate. */
  async sendNow(message: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    this.sentAt.push(this.clock.now())
    const res = await this.safeSend(message)
    this.noteResult(res)
    return res
  }

  get busy(): boolean {
    return this.inFlight !== undefined
  }

  async drain(): Promise<void> {
    await this.inFlight
  }

  private shed(job: Job): void {
    if (this.merges) {
      // Merging loses no alert: it still appears in the summary.
      this.bucket.push(job)
      return
    }
    const order = ['info', 'warning'] as const
    for (const sev of order) {
      const i = this.jobs.findIndex((j) => j.alert.severity === sev)
      if (i >= 0 && (job.alert.severity === 'critical' || sev === 'info' || job.alert.severity === 'warning')) {
        const [dropped] = this.jobs.splice(i, 1)
        this.hooks.warn({ channel: this.name, alert: dropped!.alert.id, severity: sev }, 'notification queue full: dropped a less severe message')
        this.jobs.push(job)
        return
      }
    }
    if (job.alert.severity === 'critical') this.jobs.push(job)
    else this.hooks.warn({ channel: this.name, alert: job.alert.id }, 'notification queue full: dropped a message')
  }

  private rateFreeAt(now: number): number {
    while (this.sentAt.length && this.sentAt[0]! <= now - MINUTE) this.sentAt.shift()
    return this.sentAt.length < this.limits.perMinute ? now : this.sentAt[0]! + MINUTE
  }

  /** Sends nothing more; what is queued stays unsent (a restart restores it from the log). */
  close(): void {
    this.closed = true
  }

  pump(): void {
    if (this.inFlight || this.closed) return
    const now = this.clock.now()
    this.jobs.splice(0, this.jobs.length, ...this.jobs.filter((j) => this.hooks.isLive(j)))
    this.bucket = this.bucket.filter((j) => this.hooks.isLive(j))
    const freeAt = this.rateFreeAt(now)
    let wakeAt = Infinity

    if (this.bucket.length) {
      const due = Math.max(this.bucketSince + this.limits.gatherMs, this.lastSummaryAt + MINUTE, this.summaryNotBefore, freeAt)
      if (due <= now) return this.sendSummary()
      wakeAt = due
    }
    const ready = this.jobs.findIndex((j) => j.notBefore <= now)
    if (ready >= 0) {
      if (freeAt > now && this.merges) {
        // Past the rate: what is waiting goes into the minute's summary.
        const alerts = this.jobs.filter((j) => j.message.kind === 'alert')
        this.jobs.splice(0, this.jobs.length, ...this.jobs.filter((j) => j.message.kind !== 'alert'))
        if (alerts.length) {
          if (!this.bucket.length) this.bucketSince = now
          this.bucket.push(...alerts)
          return this.pump()
        }
      }
      if (freeAt <= now) return this.sendJob(ready)
      wakeAt = Math.min(wakeAt, freeAt)
    }
    for (const j of this.jobs) wakeAt = Math.min(wakeAt, Math.max(j.notBefore, freeAt))
    if (wakeAt < Infinity) this.timers.set(`pump:${this.name}`, wakeAt, () => this.pump())
  }

  private sendJob(index: number): void {
    const [job] = this.jobs.splice(index, 1)
    if (!job) return
    this.sentAt.push(this.clock.now())
    this.inFlight = this.safeSend(job.message).then((res) => {
      const at = this.clock.now()
      this.noteResult(res)
      const base = { alertId: job.alert.id, at, step: job.step, firing: job.firing, channel: this.name, ...(job.to ? { to: job.to } : {}) }
      if (res.ok) return this.hooks.record({ ...base, status: 'sent' })
      this.hooks.record({ ...base, status: 'failed', error: res.error ?? 'failed' })
      job.attempt++
      if (job.alert.severity !== 'critical' && job.attempt >= this.limits.attempts) {
        this.hooks.warn({ channel: this.name, alert: job.alert.id, attempts: job.attempt }, 'notification given up after retries')
        return
      }
      job.notBefore = at + this.backoff(job.attempt)
      this.jobs.unshift(job)
    })
    void this.inFlight.finally(() => {
      this.inFlight = undefined
      this.pump()
    })
  }

  private sendSummary(): void {
    const items = this.bucket
    this.bucket = []
    const message: NotifyMessage = { ...renderSummary(items, this.language, this.publicUrl) }
    const to = [...new Map(items.flatMap((j) => j.message.to ?? []).map((p) => [p.id, p])).values()]
    if (to.length) message.to = to
    const now = this.clock.now()
    this.sentAt.push(now)
    this.lastSummaryAt = now
    this.inFlight = this.safeSend(message).then((res) => {
      const at = this.clock.now()
      this.noteResult(res)
      if (res.ok) {
        this.summaryAttempt = 0
        for (const j of items) this.hooks.record({ alertId: j.alert.id, at, step: j.step, firing: j.firing, channel: this.name, ...(j.to ? { to: j.to } : {}), status: 'merged' })
        return
      }
      for (const j of items) this.hooks.record({ alertId: j.alert.id, at, step: j.step, firing: j.firing, channel: this.name, ...(j.to ? { to: j.to } : {}), status: 'failed', error: res.error ?? 'failed' })
      this.summaryAttempt++
      const keep = items.filter((j) => j.alert.severity === 'critical' || this.summaryAttempt < this.limits.attempts)
      this.summaryNotBefore = at + this.backoff(this.summaryAttempt)
      // A failed summary is retried (it still counts as this minute's): merged back in front.
      this.bucket = [...keep, ...this.bucket]
      if (this.bucket.length) this.bucketSince = Math.min(this.bucketSince, at)
    })
    void this.inFlight.finally(() => {
      this.inFlight = undefined
      this.pump()
    })
  }

  private backoff(attempt: number): number {
    return Math.min(this.limits.retryBaseMs * 2 ** (attempt - 1), this.limits.retryMaxMs)
  }

  private async safeSend(message: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    try {
      return await this.channel.send(message)
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) }
    }
  }

  private noteResult(res: { ok: boolean; error?: string }): void {
    const at = this.clock.now()
    if (res.ok) this.lastSuccessAt = at
    else this.lastError = { at, message: res.error ?? 'failed' }
  }
}
