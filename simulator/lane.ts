/**
 * A station's timeline: events ordered by (scenario time, insertion order), run
 * one after another and each awaited, so a station's messages leave in the same
 * order on every run with the same seed, and a key box message is acknowledged
 * by the broker before the door message that depends on it is sent.
 * Stations run in parallel lanes; only their interleaving varies between runs.
 */
export interface LaneEvent<T> {
  t: number
  order: number
  what: T
}

/** Min-heap on (t, order). */
class EventHeap<T> {
  private readonly items: LaneEvent<T>[] = []

  get size(): number {
    return this.items.length
  }
  peek(): LaneEvent<T> | undefined {
    return this.items[0]
  }
  push(e: LaneEvent<T>): void {
    const a = this.items
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(a[i]!, a[parent]!)) break
      ;[a[i], a[parent]] = [a[parent]!, a[i]!]
      i = parent
    }
  }
  pop(): LaneEvent<T> | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}

function before<T>(x: LaneEvent<T>, y: LaneEvent<T>): boolean {
  return x.t < y.t || (x.t === y.t && x.order < y.order)
}

/** Lets every sleeping lane wake at once when the run stops. */
export class Stopper {
  stopped = false
  private readonly sleepers = new Set<() => void>()

  onStop(wake: () => void): void {
    if (this.stopped) wake()
    else this.sleepers.add(wake)
  }
  offStop(wake: () => void): void {
    this.sleepers.delete(wake)
  }
  stop(): void {
    this.stopped = true
    for (const wake of [...this.sleepers]) wake()
    this.sleepers.clear()
  }
}

export class Lane<T> {
  private readonly heap = new EventHeap<T>()
  private nextOrder = 0
  private startedAt = 0
  private wakeEarly: (() => void) | undefined

  constructor(
    private readonly speed: number,
    private readonly stopper: Stopper,
    private readonly execute: (what: T, t: number) => Promise<void>,
    /** where the worst lateness seen (real ms) is kept; shared by all lanes of a run */
    private readonly lag: { maxLagMs: number },
  ) {}

  schedule(t: number, what: T): void {
    this.heap.push({ t, order: this.nextOrder++, what })
    // An event earlier than the one being waited for must not wait behind it.
    this.wakeEarly?.()
  }

  /** Scenario time now, in ms since the lane started. */
  now(): number {
    return this.startedAt === 0 ? 0 : (performance.now() - this.startedAt) * this.speed
  }

  /** Runs events as they fall due until the run stops. Resolves only then. */
  async run(): Promise<void> {
    this.startedAt = performance.now()
    while (!this.stopper.stopped) {
      const next = this.heap.peek()
      if (!next) {
        await this.sleepUntilScheduled()
        continue
      }
      const dueAt = this.startedAt + next.t / this.speed
      const wait = dueAt - performance.now()
      if (wait > 0) {
        await this.sleepUntilScheduledOr(wait)
        continue // something earlier may have been scheduled meanwhile
      }
      this.heap.pop()
      if (-wait > this.lag.maxLagMs) this.lag.maxLagMs = -wait
      await this.execute(next.what, next.t)
    }
  }

  private sleepUntilScheduled(): Promise<void> {
    return this.sleepUntilScheduledOr(60_000)
  }

  /** Sleeps `ms`, or less when the run stops or an event is scheduled. */
  private sleepUntilScheduledOr(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.stopper.offStop(wake)
        this.wakeEarly = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.wakeEarly = wake
      this.stopper.onStop(wake)
    })
  }
}
