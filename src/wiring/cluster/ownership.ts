import type { Logger } from 'pino'
import { PartitionConsumer, type PartitionMessage } from '../../adapters/nats/partition-consumer.ts'
import type { PartitionProgress } from '../../adapters/postgres/partition-progress.ts'
import type { Fleet } from '../../domain/fleet.ts'
import type { Ingest } from '../../ingest/ingest.ts'
import type { Part } from '../../lifecycle.ts'
import type { ReadingStore, StateStore } from '../../ports.ts'
import type { ClusterLink } from './link.ts'

export interface OwnershipDeps {
  link: ClusterLink
  fleet: Fleet
  ingest: Ingest
  engine: { adopt(station: string): Promise<void>; release(station: string): void }
  /** more owners' work per station (the notifier): adopted before the engine, released with it */
  followers?: { adopt(station: string): Promise<void> | void; release(station: string): void }[]
  state: StateStore
  readings: ReadingStore
  progress: PartitionProgress
  log: Logger
}

/**
 * Which stations this instance owns, and the owner's work for them. The partition leases decide;
 * on acquiring a partition its stations' snapshots and unresolved alerts are restored from
 * PostgreSQL and their timers armed, then its consumer feeds ingest in stream order. Each
 * reading's stream sequence is recorded in the same group commit as the state it changed
 * (PartitionProgress) and the message is acknowledged only after that commit, so after a takeover
 * nothing acknowledged is lost and nothing is applied twice. On losing a partition its consumer
 * and timers stop at once.
 */
export class Ownership implements Part {
  readonly name = 'cluster-ownership'
  private readonly owned = new Set<number>()
  private readonly consumers = new Map<number, PartitionConsumer>()
  /** acquire and lose of one partition, one at a time and in order */
  private readonly chains = new Map<number, Promise<void>>()

  constructor(private readonly d: OwnershipDeps) {
    d.link.leases.on('acquired', (p) => this.serial(p, () => this.acquire(p)))
    d.link.leases.on('lost', (p, reason) => {
      // At once, before anyone else can win it: no reading of it is applied from here on.
      this.owned.delete(p)
      const consumer = this.consumers.get(p)
      this.consumers.delete(p)
      for (const s of this.stationsOf(p)) for (const f of [d.engine, ...(d.followers ?? [])]) f.release(s)
      d.log.info({ partition: p, reason }, 'partition lost')
      this.serial(p, async () => void (await consumer?.stop()))
    })
  }

  owns(station: string): boolean {
    return this.owned.has(this.d.link.partitionOf(station))
  }

  /** the stations this instance owns now, sorted */
  stations(): string[] {
    return [...this.d.fleet.stations.keys()].filter((s) => this.owns(s)).sort()
  }

  async start(): Promise<void> {
    await this.d.link.leases.start()
  }

  async stop(): Promise<void> {
    // Given back, so that the others take over at once (a crash instead waits for the lease TTL).
    await this.d.link.leases.stop({ release: true })
    await Promise.all([...this.consumers.values()].map((c) => c.stop()))
    await Promise.all(this.chains.values())
  }

  private stationsOf(partition: number): string[] {
    return [...this.d.fleet.stations.keys()].filter((s) => this.d.link.partitionOf(s) === partition)
  }

  private serial(p: number, step: () => Promise<void>): void {
    const next = (this.chains.get(p) ?? Promise.resolve()).then(step).catch((err: unknown) => this.d.log.error({ err, partition: p }, 'partition ownership step failed'))
    this.chains.set(p, next)
  }

  private async acquire(p: number): Promise<void> {
    if (!this.d.link.leases.owns(p)) return
    const { fleet, state, engine, progress, link } = this.d
    const stations = this.stationsOf(p)
    const [snaps, applied] = await Promise.all([state.records.loadSnapshots(), progress.applied(p)])
    if (!link.leases.owns(p)) return
    for (const s of stations) {
      const snap = snaps.get(s)
      if (snap) fleet.stations.get(s)?.restore(snap)
    }
    this.owned.add(p)
    for (const s of stations) {
      // Followers first: the notifier then holds the station's plans when the engine's adopt resolves
      // or changes an alert (a resolve is announced). A follower's failure leaves the engine's adopt to run.
      for (const f of this.d.followers ?? []) await Promise.resolve().then(() => f.adopt(s)).catch((err: unknown) => this.d.log.error({ err, station: s }, 'adopt failed'))
      await engine.adopt(s)
    }
    const consumer = new PartitionConsumer({
      js: link.js, jsm: link.jsm, partition: p, resumeAfter: applied,
      handler: (m) => this.apply(m),
      onError: (err) => this.d.log.warn({ err, partition: p }, 'partition consumer'),
    })
    if (!link.leases.owns(p)) return
    this.consumers.set(p, consumer)
    await consumer.start()
    this.d.log.info({ partition: p, stations: stations.length, resumeAfter: applied }, 'partition acquired')
  }

  /** One reading, applied by its station's owner: ingest, then the commit that holds it and its sequence. */
  private async apply(m: PartitionMessage): Promise<void> {
    if (!this.owned.has(m.partition)) throw new Error(`partition ${m.partition} is no longer owned`)
    const kind = m.topic.endsWith('/status') ? 'status' : 'state'
    // Synchronous up to here: the state writes, alert changes and this sequence join one group commit.
    this.d.ingest.handle(m.device, kind, m.topic, m.payload)
    this.d.progress.record(m.partition, m.streamSeq)
    await Promise.all([this.d.readings.durable(), this.d.state.committed()])
  }
}
