import type { Clock, Timers } from '../ports.ts'
import type { DeadlineQueue } from './deadline-queue.ts'

// setTimeout's limit; a farther deadline is reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The deadline queue's one timer, set for its earliest deadline however many are pending. Whoever
 * changes the queue calls `arm`; the timer is only replaced when the earliest deadline moved.
 */
export class DeadlineTimer {
  private timer: unknown
  private timerAt: number | undefined
  private stopped = false

  constructor(private readonly o: { queue: DeadlineQueue; clock: Clock; timers: Timers; onDue: (keys: string[]) => void }) {}

  arm(): void {
    if (this.stopped) return
    const at = this.o.queue.peek()
    if (at === this.timerAt) return
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = at
    if (at === undefined) return
    const delay = Math.min(Math.max(0, at - this.o.clock.now()), MAX_TIMER_MS)
    this.timer = this.o.timers.setTimeout(() => this.fire(), delay)
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer)
  }

  private fire(): void {
    this.timer = undefined
    this.timerAt = undefined
    this.o.onDue(this.o.queue.popDue(this.o.clock.now()))
    this.arm()
  }
}
