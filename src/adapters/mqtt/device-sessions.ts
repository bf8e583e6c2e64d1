import type { Client } from 'aedes'

/**
 * Which device each authenticated connection belongs to, and each device's newest connection:
 * a device that reconnects has two for a while, and only the newest one speaks for it.
 */
export class DeviceSessions {
  private readonly deviceOf = new WeakMap<Client, string>()
  private readonly newest = new Map<string, Client>()

  authenticated(client: Client, device: string): void {
    this.deviceOf.set(client, device)
    this.newest.set(device, client)
  }

  /** the device a connection authenticated as; undefined for one that did not */
  device(client: Client): string | undefined {
    return this.deviceOf.get(client)
  }

  isDevice(client: Client): boolean {
    return this.deviceOf.has(client)
  }

  newestOf(device: string): Client | undefined {
    return this.newest.get(device)
  }

  /** A connection closed: its device, when it was that device's newest connection (now none). */
  closed(client: Client): string | undefined {
    const device = this.deviceOf.get(client)
    if (!device || this.newest.get(device) !== client) return undefined
    this.newest.delete(device)
    return device
  }
}
