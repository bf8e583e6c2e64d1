import { jetstream } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'

export interface LeaseBucketOptions {
  /** default sw_leases */
  name?: string
  /** a key not rewritten for this long disappears: the lease's length (default 6 s) */
  ttlMs?: number
  /** 3 in a cluster */
  replicas?: number
  /** how long one request to the bucket may take (default 2 s): below the heartbeat, so a heartbeat is never stuck */
  requestTimeoutMs?: number
}

export const DEFAULT_LEASE_BUCKET = 'sw_leases'
export const DEFAULT_LEASE_TTL_MS = 6000

/**
 * The bucket that holds partition leases and instance presence. Its TTL (the stream's max age)
 * is what ends a dead owner's lease: nobody deletes it, the servers expire it. History 1: only
 * the current holder matters, and its revision is what compare-and-set compares.
 */
export async function openLeaseBucket(nc: NatsConnection, o: LeaseBucketOptions = {}): Promise<{ kv: KV; ttlMs: number }> {
  const ttlMs = o.ttlMs ?? DEFAULT_LEASE_TTL_MS
  const js = jetstream(nc, { timeout: o.requestTimeoutMs ?? 2000 })
  const kv = await new Kvm(js).create(o.name ?? DEFAULT_LEASE_BUCKET, { replicas: o.replicas ?? 3, ttl: ttlMs, history: 1 })
  const status = await kv.status()
  // Another instance created the bucket with another TTL: the leases are as long as the bucket says.
  return { kv, ttlMs: status.ttl }
}

export const leaseKey = (partition: number) => `lease.${partition}`
export const presenceKey = (instance: string) => `presence.${instance}`
