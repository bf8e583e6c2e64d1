/**
 * At most `max` operations at once; the rest wait their turn in arrival order. Bounds what an
 * instance has outstanding towards JetStream when devices publish faster than it acknowledges.
 */
export class InFlightLimit {
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`maxInFlight: must be a positive integer, got ${max}`)
  }

  async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.running++
    try {
      return await op()
    } finally {
      // Hand the slot straight to the next in line, so that a newcomer cannot overtake it.
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }

  get active(): number {
    return this.running
  }

  get queued(): number {
    return this.waiting.length
  }
}
