import type { KV, KvWatchEntry } from '@nats-io/kv'
import type { QueuedIterator } from '@nats-io/transport-node'

/** What an instance writes to its presence key on every heartbeat. */
export interface Presence {
  instance: string
  /** how many partitions it held then */
  owned: number
}

interface Seen extends Presence {
  /** when the servers stored it: the key is gone `ttl` later unless rewritten */
  stored: number
}

/**
 * The live instances and what they hold, from a watch on the presence bucket. Expiry is not
 * announced (the servers drop the message), so a key counts as gone once the TTL has passed
 * since it was stored (by the servers' clock: the machines' clocks are assumed in step, as NTP
 * keeps them). Only for sharing fairly; a stale view makes a share uneven for a while, never
 * gives a partition two holders.
 */
export class PresenceView {
  private readonly seen = new Map<string, Seen>()
  private watch: QueuedIterator<KvWatchEntry> | undefined
  private reading: Promise<void> | undefined

  constructor(private readonly kv: KV, private readonly ttlMs: number) {}

  async start(): Promise<void> {
    const watch = (this.watch = await this.kv.watch({ key: 'presence.>' }))
    this.reading = (async () => {
      for await (const e of watch) this.note(e)
    })().catch(() => undefined)
  }

  async stop(): Promise<void> {
    this.watch?.stop()
    await this.reading
  }

  /** The other instances alive at `now`. */
  others(now: number, self: string): Presence[] {
    const out: Presence[] = []
    for (const s of this.seen.values()) if (s.instance !== self && now < s.stored + this.ttlMs) out.push({ instance: s.instance, owned: s.owned })
    return out
  }

  private note(e: KvWatchEntry): void {
    if (e.operation !== 'PUT') {
      this.seen.delete(e.key)
      return
    }
    try {
      const v = e.json<Partial<Presence>>()
      if (typeof v.instance === 'string') this.seen.set(e.key, { instance: v.instance, owned: typeof v.owned === 'number' ? v.owned : 0, stored: e.created.getTime() })
    } catch {
      // not ours: ignore
    }
  }
}
