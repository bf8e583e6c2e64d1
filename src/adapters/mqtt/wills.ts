import type { Client } from 'aedes'
import type { Logger } from 'pino'
import type { DeviceSessions } from './device-sessions.ts'

/**
 * A closing client only publishes its will. An old session's will that arrives after the device
 * has already reconnected must not mark the live device offline, nor must the wills of every
 * device the broker disconnects itself while shutting down.
 */
export class Wills {
  private shuttingDown = false

  constructor(
    private readonly sessions: DeviceSessions,
    private readonly log: Logger,
  ) {}

  /** From now on every will is refused: the broker is closing the connections itself. */
  brokerClosing(): void {
    this.shuttingDown = true
  }

  /** Why the will of a closed connection must not be taken; undefined when it is the device's word. */
  refusal(client: Client, device: string): Error | undefined {
    if (this.shuttingDown) return new Error('broker shutting down')
    const newest = this.sessions.newestOf(device)
    if (newest && newest !== client && !newest.closed) {
      this.log.info({ device, clientId: client.id }, 'ignoring the will of a superseded session')
      return new Error('superseded will')
    }
    return undefined
  }
}
