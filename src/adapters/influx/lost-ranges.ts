/**
 * Ranges of dropped point sequence numbers, newest last. A PUBACK asks about its message's range
 * right after the store settled it, so only the newest ranges are ever asked about: at most
 * `max` are kept (adjacent ones merged — a full spool drops whole tails of groups).
 */
export class LostRanges {
  private readonly ranges: { from: number; to: number }[] = []

  constructor(private readonly max = 4096) {}

  add(from: number, to: number): void {
    if (to < from) return
    const last = this.ranges[this.ranges.length - 1]
    if (last && from <= last.to + 1) last.to = Math.max(last.to, to)
    else this.ranges.push({ from, to })
    if (this.ranges.length > this.max) this.ranges.splice(0, this.ranges.length - this.max)
  }

  overlaps(from: number, to: number): boolean {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i]!
      if (r.to < from) return false
      if (r.from <= to) return true
    }
    return false
  }
}
