import { jetstream } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'

export const DEFAULT_PRESENCE_BUCKET = 'sw_presence'

/**
 * Which instances are alive: each writes `presence.<instance>` on every heartbeat, and the
 * bucket's TTL drops the key of one that stopped. Only for sharing partitions out fairly —
 * plain writes, no compare-and-set: a wrong count makes a share uneven for a heartbeat, never
 * gives a partition two holders (the leases do that, lease-streams.ts).
 */
export async function openPresenceBucket(nc: NatsConnection, o: { name?: string; ttlMs: number; replicas?: number; requestTimeoutMs?: number }): Promise<KV> {
  const name = o.name ?? DEFAULT_PRESENCE_BUCKET
  // Creating a replicated stream waits for the cluster (a meta leader, three peers): longer than
  // a heartbeat's requests may, and worth a retry while the cluster settles.
  const setup = new Kvm(jetstream(nc, { timeout: 10_000 }))
  for (let attempt = 1; ; attempt++) {
    try {
      await setup.create(name, { replicas: o.replicas ?? 3, ttl: o.ttlMs, history: 1 })
      break
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
  return new Kvm(jetstream(nc, { timeout: o.requestTimeoutMs ?? 2000 })).open(name)
}

export const presenceKey = (instance: string) => `presence.${instance}`
