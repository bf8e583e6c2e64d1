/**
 * What the broker asks the stores before a PUBACK (docs/reliability.md).
 * `position()` counts the points written to the reading store so far; a message's points are
 * those written while it was handled, `(from, to]`. `kept(from, to)` is asked once `durable()`
 * has resolved: false when the store dropped any of them (a full InfluxDB spool), so the
 * message is not acknowledged.
 */
export interface AckGate {
  durable(): Promise<void>
  position(): number
  kept(from: number, to: number): boolean
}

type Ack = (err: Error | null, kept: boolean) => void

/**
 * Holds QoS 1 acknowledgements until what the messages wrote is durable.
 *
 * The messages handled in one turn of the event loop (a socket read carries several) share one
 * `durable()` wait, called once the turn's synchronous work is over: the store resolves it when
 * everything written so far is durable, which includes every one of those messages. One promise
 * a turn instead of a promise and two closures a message, and the PUBACKs are released together,
 * in arrival order.
 */
export class DurableAcks {
  private waiting: { from: number; to: number; ack: Ack }[] = []

  constructor(private readonly gate: AckGate) {}

  /** `ack` runs once the message whose points are `(from, to]` is durable (or with the store's error). */
  add(from: number, to: number, ack: Ack): void {
    if (this.waiting.push({ from, to, ack }) === 1) queueMicrotask(() => this.release())
  }

  private release(): void {
    const acks = this.waiting
    this.waiting = []
    const fail = (err: unknown) => {
      for (const a of acks) a.ack(err as Error, false)
    }
    let durable: Promise<void>
    try {
      durable = this.gate.durable()
    } catch (err) {
      return fail(err)
    }
    durable.then(() => {
      for (const a of acks) a.ack(null, a.to === a.from || this.gate.kept(a.from, a.to))
    }, fail)
  }
}
