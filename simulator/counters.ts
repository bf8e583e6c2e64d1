/** Live numbers of one simulation run; read them any time through the handle. */
export interface Counters {
  /** messages the broker acknowledged (PUBACK), of every kind */
  sent: number
  stateSent: number
  statusSent: number
  /** bad-firmware messages sent (acknowledged or not) */
  malformedSent: number
  /** publishes the broker answered by closing the connection (contract §3: refused publish) */
  rejectedByBroker: number
  /** publishes neither acknowledged nor answered in time */
  publishTimeouts: number
  /** planned messages not sent because their device was down at that moment */
  skippedOffline: number
  /** devices connected right now */
  connected: number
  /** successful CONNECTs, first ones and reconnects */
  connects: number
  /** CONNECTs refused by the broker (return codes 1-5, e.g. a wrong secret) */
  connectRefused: number
  /** CONNECTs that failed on the network or timed out */
  connectFailed: number
  /** drops the scenario did not plan (the broker or network closed the connection) */
  unplannedDisconnects: number
  /** cmd subscriptions the broker refused (granted 0x80) */
  subscribeRefused: number
  /** worst delay, in real ms, between an event's due time and its execution */
  maxLagMs: number
}

export function newCounters(): Counters {
  return {
    sent: 0,
    stateSent: 0,
    statusSent: 0,
    malformedSent: 0,
    rejectedByBroker: 0,
    publishTimeouts: 0,
    skippedOffline: 0,
    connected: 0,
    connects: 0,
    connectRefused: 0,
    connectFailed: 0,
    unplannedDisconnects: 0,
    subscribeRefused: 0,
    maxLagMs: 0,
  }
}

/**
 * Distinct error messages with how often each was seen. Bounded, because 10,000
 * devices failing the same way must not make 10,000 entries.
 */
export class ErrorTally {
  private readonly counts = new Map<string, number>()

  constructor(private readonly maxDistinct = 20) {}

  add(message: string): void {
    const known = this.counts.get(message)
    if (known !== undefined) this.counts.set(message, known + 1)
    else if (this.counts.size < this.maxDistinct) this.counts.set(message, 1)
    else this.counts.set('(other errors)', (this.counts.get('(other errors)') ?? 0) + 1)
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts)
  }
}
