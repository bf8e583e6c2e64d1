/**
 * Holds QoS 1 acknowledgements until what the messages wrote is durable (docs/reliability.md).
 *
 * The messages handled in one turn of the event loop (a socket read carries several) share one
 * `durable()` wait, called once the turn's synchronous work is over: the store resolves it when
 * everything written so far is durable, which includes every one of those messages. One promise
 * a turn instead of a promise and two closures a message, and the PUBACKs are released together,
 * in arrival order.
 */
export class DurableAcks {
  private waiting: ((err: Error | null) => void)[] = []

  constructor(private readonly durable: () => Promise<void>) {}

  /** `ack` runs once the message handled just before this call is durable (or with the store's error). */
  add(ack: (err: Error | null) => void): void {
    if (this.waiting.push(ack) === 1) queueMicrotask(() => this.release())
  }

  private release(): void {
    const acks = this.waiting
    this.waiting = []
    const fail = (err: unknown) => {
      for (const ack of acks) ack(err as Error)
    }
    let durable: Promise<void>
    try {
      durable = this.durable()
    } catch (err) {
      return fail(err)
    }
    durable.then(() => {
      for (const ack of acks) ack(null)
    }, fail)
  }
}
