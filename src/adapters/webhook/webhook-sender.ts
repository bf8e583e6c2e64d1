import type { Logger } from 'pino'

export interface WebhookState { configured: boolean; pending: number; delivered: number; failedAttempts: number; dropped: number; failing: boolean; lastError?: string }

const MAX_QUEUE = 10_000
const TIMEOUT_MS = 5_000
const MIN_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000

/**
 * POSTs every alert change to WEBHOOK_URL, one at a time and in order, retrying
 * with exponential backoff. It runs beside ingest and never blocks it: a receiver
 * that is down only grows this bounded queue.
 */
export class WebhookSender {
  private readonly queue: string[] = []
  private sending = false
  private backoff = MIN_BACKOFF_MS
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  readonly state: WebhookState

  constructor(
    private readonly url: string | undefined,
    private readonly log: Logger,
    private readonly onAttempt: (ok: boolean) => void = () => undefined,
  ) {
    this.state = { configured: url !== undefined, pending: 0, delivered: 0, failedAttempts: 0, dropped: 0, failing: false }
  }

  send(body: unknown): void {
    if (!this.url || this.stopped) return
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift()
      this.state.dropped++
      this.log.error({ dropped: this.state.dropped }, 'webhook queue full: dropped the oldest alert change')
    }
    this.queue.push(JSON.stringify(body))
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
    const body = this.queue[0]
    if (body === undefined) return
    this.sending = true
    fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(TIMEOUT_MS) })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined)
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
      })
      .then(
        () => {
          this.queue.shift()
          this.state.delivered++
          this.state.failing = false
          delete this.state.lastError
          this.backoff = MIN_BACKOFF_MS
          this.onAttempt(true)
        },
        (err: unknown) => {
          this.state.failedAttempts++
          this.state.lastError = err instanceof Error ? err.message : String(err)
          if (!this.state.failing) this.log.warn({ err: this.state.lastError }, 'webhook delivery failed; retrying with backoff')
          this.state.failing = true
          this.onAttempt(false)
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
}
