/** Runs at most `max` tasks at once; the rest wait in order. Used to stagger CONNECT storms. */
export class Limiter {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new Error('Limiter: max must be at least 1')
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      // The slot passes straight to the next task, so `active` stays the same.
      if (next) next()
      else this.active--
    }
  }
}
