import { EventEmitter } from 'node:events'
import type { KV } from '@nats-io/kv'
import { z } from 'zod'
import type { NatsConnection } from '@nats-io/transport-node'
import { planShare } from './fair-share.ts'
import { isCasFailure, LeaseStreams } from './lease-streams.ts'
import { partitionOf } from './partitions.ts'
import { openPresenceBucket, presenceKey } from './presence-bucket.ts'
import { PresenceView, type Presence } from './presence-view.ts'

export const instanceIdSchema = z.string().regex(/^[A-Za-z0-9_=-][A-Za-z0-9_=.-]{0,99}$/, 'INSTANCE_ID: letters, digits, "-", "_", "=", "." (not first), at most 100')

export interface PartitionLeasesOptions {
  /** the partitions' lease streams (ensured) */
  leases: LeaseStreams
  /** the presence bucket (openPresenceBucket, with the leases' TTL) */
  presence: KV
  /** INSTANCE_ID */
  instance: string
  partitions: number
  /** how often presence is written, leases renewed and free partitions claimed (default ttl / 3) */
  heartbeatMs?: number
  /**
   * How much before the servers would expire a lease its holder gives it up (default ttl / 6):
   * room for the holder's timers to run late on a loaded machine.
   */
  marginMs?: number
  /** an unexpected failure (a heartbeat that could not reach NATS); the leases handle it themselves */
  onError?: (err: Error) => void
}

export interface LeaseInfo {
  /** the lease stream's sequence when won: it grows with every new holder, so it can fence writes of an older one */
  revision: number
}

export type LostReason = 'expired' | 'taken' | 'released' | 'stopped'

interface Held {
  revision: number
  /** performance.now() after which the lease may already be someone else's */
  deadline: number
  timer: NodeJS.Timeout
}

/**
 * Which partitions this instance consumes, with leases kept in JetStream: no consensus of our
 * own, only compare-and-set on a Raft-replicated stream (lease-streams.ts).
 *
 * - A lease is won by writing over a free one (expired, released or never held) and kept by
 *   writing again, every heartbeat, each time expecting the sequence last seen. The stream's
 *   max age removes a lease nobody renews.
 * - The holder counts a lease from the moment it *sent* the write that won or renewed it; the
 *   servers count from when they stored it, which is later. So the holder's deadline (minus a
 *   margin) falls before anyone else can win it: `lost` is emitted then, at once, if no
 *   renewal came back — and at once on a renewal refused because the sequence moved.
 * - Each instance holds at most its fair share, ceil(partitions / live instances), live
 *   instances being the presence keys the bucket still holds; above it, or two above the
 *   least-loaded other instance, it gives leases back (fair-share.ts).
 */
export class PartitionLeases extends EventEmitter<{ acquired: [partition: number, lease: LeaseInfo]; lost: [partition: number, reason: LostReason] }> {
  private readonly held = new Map<number, Held>()
  private readonly view: PresenceView
  private readonly ttlMs: number
  private readonly heartbeatMs: number
  private readonly marginMs: number
  private readonly rotation: number
  private running = false
  private loop: Promise<void> | undefined
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined

  constructor(private readonly o: PartitionLeasesOptions) {
    super()
    instanceIdSchema.parse(o.instance)
    const ttl = (this.ttlMs = o.leases.ttlMs)
    this.heartbeatMs = o.heartbeatMs ?? Math.floor(ttl / 3)
    this.marginMs = o.marginMs ?? Math.floor(ttl / 6)
    if (this.heartbeatMs + this.marginMs >= ttl) throw new Error(`heartbeatMs (${this.heartbeatMs}) plus marginMs (${this.marginMs}) must stay below the lease TTL (${ttl})`)
    this.rotation = partitionOf(o.instance, 1 << 30)
    this.view = new PresenceView(o.presence, ttl)
  }

  async start(): Promise<void> {
    if (this.running) return
    await this.view.start()
    this.running = true
    this.loop = this.run()
  }

  /** Partitions held now, in order. */
  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b)
  }

  owns(partition: number): boolean {
    return this.held.has(partition)
  }

  /** Instances alive, as the presence bucket says (this one included). */
  liveInstances(): number {
    return this.view.others(Date.now(), this.o.instance).length + 1
  }

  /**
   * Stops renewing. With `release`, the leases are given back (marked free) so that others take
   * them at once; without, they run out on their own — what a crash looks like to the others.
   * `lost(…, 'stopped')` is emitted for each either way, before any is marked free.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.running = false
    this.sleeping?.wake()
    await this.loop
    const held = [...this.held.entries()]
    for (const [p] of held) this.lose(p, 'stopped')
    if (opts.release) {
      await Promise.allSettled([
        ...held.map(([p, h]) => this.o.leases.write(p, null, h.revision)),
        this.o.presence.delete(presenceKey(this.o.instance)),
      ])
    }
    await this.view.stop()
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now()
      try {
        await this.heartbeat()
      } catch (err) {
        this.o.onError?.(err as Error)
      }
      await this.sleep(Math.max(0, this.heartbeatMs - (Date.now() - started)))
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.sleeping = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.sleeping = { timer, wake }
    })
  }

  private async heartbeat(): Promise<void> {
    const { presence, instance } = this.o
    // Both in flight at once, settled together: a failing renewal must not leave the presence
    // write's rejection unhandled (a NATS node lost mid-heartbeat fails both).
    const settled = await Promise.allSettled([
      presence.put(presenceKey(instance), JSON.stringify({ instance, owned: this.held.size } satisfies Presence)),
      Promise.all([...this.held.keys()].map((p) => this.renew(p))),
    ])
    for (const r of settled) if (r.status === 'rejected') throw r.reason
    if (!this.running) return
    const unowned = []
    for (let p = 0; p < this.o.partitions; p++) if (!this.held.has(p)) unowned.push(p)
    const others = this.view.others(Date.now(), instance)
    const othersMin = others.length ? Math.min(...others.map((x) => x.owned)) : undefined
    const plan = planShare({ partitions: this.o.partitions, live: others.length + 1, owned: this.owned(), free: unowned, rotation: this.rotation, ...(othersMin === undefined ? {} : { othersMin }) })
    for (const p of plan.release) await this.release(p)
    let won = 0
    for (const p of plan.candidates) {
      if (won >= plan.want || !this.running) break
      if (await this.claim(p)) won++
    }
  }

  private async claim(partition: number): Promise<boolean> {
    const state = await this.o.leases.read(partition)
    if (!state.free) return false
    const sent = performance.now()
    let revision: number
    try {
      revision = await this.o.leases.write(partition, this.o.instance, state.lastSeq)
    } catch (err) {
      if (isCasFailure(err)) return false // someone else was quicker
      throw err
    }
    if (!this.running) return false // stopped while asking: the lease runs out by itself
    this.hold(partition, revision, sent)
    this.emit('acquired', partition, { revision })
    return true
  }

  private async renew(partition: number): Promise<void> {
    const before = this.held.get(partition)
    if (!before) return
    const sent = performance.now()
    let revision: number
    try {
      revision = await this.o.leases.write(partition, this.o.instance, before.revision, this.heartbeatMs)
    } catch (err) {
      // Taken over: it is someone else's now. Anything else (a timeout, a lost node): try again
      // on the next heartbeat; the deadline ends the lease if none succeeds in time.
      if (!isCasFailure(err)) this.o.onError?.(err as Error)
      else if (this.held.get(partition) === before) this.lose(partition, 'taken')
      return
    }
    // The deadline may have passed while the renewal was under way: the lease was given up then.
    if (this.held.get(partition) !== before) return
    clearTimeout(before.timer)
    this.hold(partition, revision, sent)
  }

  private async release(partition: number): Promise<void> {
    const h = this.held.get(partition)
    if (!h) return
    this.lose(partition, 'released')
    try {
      await this.o.leases.write(partition, null, h.revision)
    } catch {
      // Then it runs out with its TTL.
    }
  }

  /** `sent`: performance.now() when the winning write left — a duration is all this side measures. */
  private hold(partition: number, revision: number, sent: number): void {
    const deadline = sent + this.ttlMs - this.marginMs
    const timer = setTimeout(() => this.lose(partition, 'expired'), Math.max(0, deadline - performance.now()))
    this.held.set(partition, { revision, deadline, timer })
  }

  private lose(partition: number, reason: LostReason): void {
    const h = this.held.get(partition)
    if (!h) return
    clearTimeout(h.timer)
    this.held.delete(partition)
    this.emit('lost', partition, reason)
  }
}

/**
 * Everything the leases need, made ready: the lease streams and the presence bucket (created by
 * the first instance), then the manager, not yet started.
 */
export async function openPartitionLeases(nc: NatsConnection, o: Omit<PartitionLeasesOptions, 'leases' | 'presence'> & { ttlMs?: number; replicas?: number; prefix?: string; presenceBucket?: string }): Promise<PartitionLeases> {
  const leases = new LeaseStreams(nc, { partitions: o.partitions, ...(o.ttlMs ? { ttlMs: o.ttlMs } : {}), ...(o.replicas ? { replicas: o.replicas } : {}), ...(o.prefix ? { prefix: o.prefix } : {}) })
  await leases.ensure()
  const presence = await openPresenceBucket(nc, { ttlMs: leases.ttlMs, ...(o.replicas ? { replicas: o.replicas } : {}), ...(o.presenceBucket ? { name: o.presenceBucket } : {}) })
  const { ttlMs: _t, replicas: _r, prefix: _p, presenceBucket: _b, ...rest } = o
  return new PartitionLeases({ ...rest, leases, presence })
}
