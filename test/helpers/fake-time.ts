import type { Clock, Timers } from '../../src/ports.ts'

/**
 * A clock and timers that move only when told to, for rule deadlines of minutes
 * or hours tested in milliseconds. Everything else (sockets, SQLite) stays real.
 */
export class FakeTime implements Clock, Timers {
  private t: number
  private seq = 0
  private readonly pending = new Map<number, { at: number; fn: () => void }>()

  constructor(start = Date.parse('2026-11-26T08:00:00Z')) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }

  /** Moves time forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.t + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const e of this.pending) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e
      if (!next) break
      this.pending.delete(next[0])
      this.t = Math.max(this.t, next[1].at)
      next[1].fn()
    }
    this.t = target
  }
}
