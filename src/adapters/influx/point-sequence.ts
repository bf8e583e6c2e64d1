import { LostRanges } from './lost-ranges.ts'

/**
 * Every point the store accepts gets the next sequence number. A point is settled once it is in
 * InfluxDB or in the fsync'd spool (or was dropped for good); `flush()` and `durable()` wait for
 * a number to be settled, and `kept()` asks whether a message's range lost a point on the way.
 */
export class PointSequence {
  private next = 1
  private settledUpTo = 0
  private waiters: { seq: number; resolve: () => void }[] = []
  /** seq ranges (inclusive) of points dropped for good: their messages get no PUBACK */
  private readonly lost = new LostRanges()

  /** the number of the newest point (0 before the first) */
  get last(): number {
    return this.next - 1
  }

  get settled(): number {
    return this.settledUpTo
  }

  /** Numbers `n` more points. */
  issue(n: number): void {
    this.next += n
  }

  /** Waiters are added with non-decreasing targets, so they are settled from the front. */
  waitFor(seq: number): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push({ seq, resolve }))
  }

  settle(seq: number): void {
    if (seq <= this.settledUpTo) return
    this.settledUpTo = seq
    let i = 0
    while (i < this.waiters.length && this.waiters[i]!.seq <= seq) this.waiters[i++]!.resolve()
    if (i > 0) this.waiters.splice(0, i)
  }

  markLost(from: number, to: number): void {
    this.lost.add(from, to)
  }

  /** A group of points ending at `lastSeq` reached the spool; those past the first `kept` were dropped. */
  spooled(lines: number, kept: number, lastSeq: number): void {
    if (kept < lines) this.lost.add(lastSeq - (lines - kept) + 1, lastSeq)
    this.settle(lastSeq)
  }

  /** Whether every point in `[from, to]` was kept. */
  keptAll(from: number, to: number): boolean {
    return !this.lost.overlaps(from, to)
  }
}
