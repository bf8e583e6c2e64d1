/**
 * A token bucket per device: `rate` messages a second, with a burst of one
 * second's worth. A device that keeps flooding after being throttled for `graceSeconds`
 * is cut off, so one broken device cannot slow the others.
 */
export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; dropped: number; droppingSince?: number; lastDrop?: number; lastReport: number }>()

  constructor(
    private readonly rate: number,
    private readonly graceSeconds = 5,
  ) {}

  /** `ok` to take the message; `drop` to refuse it; `disconnect` when the device will not slow down. */
  take(device: string, now: number): 'ok' | 'drop' | 'disconnect' {
    if (this.rate <= 0) return 'ok'
    let b = this.buckets.get(device)
    if (!b) this.buckets.set(device, (b = { tokens: this.rate, at: now, dropped: 0, lastReport: 0 }))
    b.tokens = Math.min(this.rate, b.tokens + ((now - b.at) / 1000) * this.rate)
    b.at = now
    // A flood is over only after a full second without a drop; a token trickling in does not end it.
    if (b.lastDrop !== undefined && now - b.lastDrop > 1000) delete b.droppingSince
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 'ok'
    }
    b.dropped++
    b.lastDrop = now
    b.droppingSince ??= now
    return now - b.droppingSince >= this.graceSeconds * 1000 ? 'disconnect' : 'drop'
  }

  /** Whether a refusal should be recorded now: at most once a second per device, so a flood cannot flood the reject log. */
  shouldReport(device: string, now: number): number | undefined {
    const b = this.buckets.get(device)
    if (!b || now - b.lastReport < 1000) return undefined
    b.lastReport = now
    const n = b.dropped
    b.dropped = 0
    return n
  }

  forget(device: string): void {
    this.buckets.delete(device)
  }
}
