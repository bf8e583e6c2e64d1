import type { KV, KvWatchEntry } from '@nats-io/kv'
import type { QueuedIterator } from '@nats-io/transport-node'

interface Seen {
  holder: string | undefined
  /** when the servers stored it: the key is gone `ttl` later unless rewritten */
  stored: number
}

/**
 * What this instance knows of the lease bucket, from a watch: who holds each key and since
 * when. Expiry is not announced (the servers drop the message), so a key counts as gone once its
 * TTL has passed since it was stored. Only a hint for what to try: winning a lease is always a
 * compare-and-set, so a stale view costs a refused write, never two holders.
 */
export class LeaseView {
  private readonly seen = new Map<string, Seen>()
  private watch: QueuedIterator<KvWatchEntry> | undefined
  private reading: Promise<void> | undefined

  constructor(private readonly kv: KV, private readonly ttlMs: number) {}

  async start(): Promise<void> {
    const watch = (this.watch = await this.kv.watch({ key: '>' }))
    this.reading = (async () => {
      for await (const e of watch) this.note(e)
    })().catch(() => undefined)
  }

  async stop(): Promise<void> {
    this.watch?.stop()
    await this.reading
  }

  /** The holder of `key` if it still stands at `now`. */
  holder(key: string, now: number): string | undefined {
    const s = this.seen.get(key)
    return s && now < s.stored + this.ttlMs ? s.holder : undefined
  }

  /** Instances whose presence has not run out, this one included. */
  liveInstances(now: number, self: string): number {
    let n = 0
    let selfSeen = false
    for (const [key, s] of this.seen) {
      if (!key.startsWith('presence.') || !s.holder || now >= s.stored + this.ttlMs) continue
      n++
      if (s.holder === self) selfSeen = true
    }
    return selfSeen ? n : n + 1
  }

  private note(e: KvWatchEntry): void {
    if (e.operation !== 'PUT') {
      this.seen.delete(e.key)
      return
    }
    let holder: string | undefined
    try {
      const v = e.json<{ instance?: unknown }>()
      if (typeof v.instance === 'string') holder = v.instance
    } catch {
      // not ours: ignore
    }
    this.seen.set(e.key, { holder, stored: e.created.getTime() })
  }
}
