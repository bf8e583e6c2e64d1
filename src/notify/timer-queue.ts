import type { Clock, Timers } from '../ports.ts'

/**
 * Many keyed deadlines behind one armed timer (the earliest), so that thousands of pending
 * escalation steps cost one timer. Re-adding a key moves its deadline.
 */
export class TimerQueue {
  private readonly entries = new Map<string, { at: number; fn: () => void }>()
  private armed: { handle: unknown; at: number } | undefined
  private stopped = false

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {}

  set(key: string, at: number, fn: () => void): void {
    if (this.stopped) return
    this.entries.set(key, { at, fn })
    if (!this.armed || at < this.armed.at) this.arm()
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  stop(): void {
    this.stopped = true
    if (this.armed) this.timers.clearTimeout(this.armed.handle)
    this.armed = undefined
    this.entries.clear()
  }

  private arm(): void {
    if (this.armed) this.timers.clearTimeout(this.armed.handle)
    this.armed = undefined
    let at = Infinity
    for (const e of this.entries.values()) if (e.at < at) at = e.at
    if (at === Infinity || this.stopped) return
    const handle = this.timers.setTimeout(() => this.run(), Math.max(0, at - this.clock.now()))
    this.armed = { handle, at }
  }

  private run(): void {
    this.armed = undefined
    const now = this.clock.now()
    const due = [...this.entries].filter(([, e]) => e.at <= now).sort((a, b) => a[1].at - b[1].at)
    for (const [key] of due) this.entries.delete(key)
    for (const [, e] of due) {
      if (this.stopped) return
      e.fn()
    }
    this.arm()
  }
}
