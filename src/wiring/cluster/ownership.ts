import type { Logger } from 'pino'
import { PartitionConsumer, type PartitionMessage } from '../../adapters/nats/partition-consumer.ts'
import type { PartitionProgress } from '../../adapters/postgres/partition-progress.ts'
import type { Fleet } from '../../domain/fleet.ts'
import type { Alert } from '../../alerts/alert.ts'
import type { Ingest } from '../../ingest/ingest.ts'
import type { Part } from '../../lifecycle.ts'
import type { ReadingStore, StateStore } from '../../ports.ts'
import type { ClusterLink } from './link.ts'

export interface OwnershipDeps {
  link: ClusterLink
  fleet: Fleet
  ingest: Ingest
  engine: { adopt(stations: readonly string[]): Promise<void>; release(station: string): void }
  state: StateStore
  readings: ReadingStore
  progress: PartitionProgress
  log: Logger
  /** other parts with per-station work that only the owner does (notifications, judgements); released with the engine */
  followers?: Following[]
  /** commands relayed from other instances (owner-relay): served for each owned partition */
  commands?: { serve(partition: number, owns: () => boolean): void; unserve(partition: number): void }
}

export interface StationFollower {
  /** the stations of a partition just won, in one call (so that a part reads the store once for them) */
  adopt(stations: readonly string[]): Promise<void> | void
  release(station: string): void
  /** an owned station's alert acknowledged or resolved through another instance */
  follow?(alert: Alert): void
}

/** A follower, and whether it adopts a station before the engine does (else after). */
export interface Following {
  station: StationFollower
  beforeEngine?: true
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
  /** the epoch of each owned partition's lease (its revision when won): the fencing token of its commits */
  private readonly epochs = new Map<number, number>()
  private readonly consumers = new Map<number, PartitionConsumer>()
  /** acquire and lose of one partition, one at a time and in order */
  private readonly chains = new Map<number, Promise<void>>()

  constructor(private readonly d: OwnershipDeps) {
    d.link.leases.on('acquired', (p, lease) => this.serial(p, () => this.acquire(p, lease.revision)))
    d.link.leases.on('lost', (p, reason) => {
      // At once, before anyone else can win it: no reading of it is applied from here on.
      this.owned.delete(p)
      const consumer = this.consumers.get(p)
      this.consumers.delete(p)
      d.commands?.unserve(p)
      for (const s of this.stationsOf(p)) {
        d.engine.release(s)
        for (const f of d.followers ?? []) f.station.release(s)
      }
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

  private async acquire(p: number, epoch: number): Promise<void> {
    if (!this.d.link.leases.owns(p)) return
    const { fleet, state, engine, progress, link } = this.d
    const stations = this.stationsOf(p)
    // The epoch is claimed before the state is read: an older owner's commits fail from here on,
    // so what is read is what the new owner continues from.
    const applied = await progress.claim(p, epoch)
    if (applied === undefined) return void this.d.log.warn({ partition: p, epoch }, 'partition claimed by a newer owner already: not taken')
    const snaps = await state.records.loadSnapshots(stations)
    if (!link.leases.owns(p)) return
    this.epochs.set(p, epoch)
    for (const s of stations) {
      const snap = snaps.get(s)
      if (snap) fleet.stations.get(s)?.restore(snap)
    }
    this.owned.add(p)
    // A follower's failure is logged; the engine and the other followers still take the stations.
    const follow = (f: Following) =>
      Promise.resolve()
        .then(() => f.station.adopt(stations))
        .catch((err: unknown) => this.d.log.error({ err, partition: p }, 'a part could not take over the stations of a partition'))
    for (const f of this.d.followers ?? []) if (f.beforeEngine) await follow(f)
    await engine.adopt(stations)
    for (const f of this.d.followers ?? []) if (!f.beforeEngine) await follow(f)
    if (!link.leases.owns(p)) return
    this.d.commands?.serve(p, () => this.owned.has(p) && link.leases.owns(p))
    const consumer = new PartitionConsumer({
      js: link.js, jsm: link.jsm, partition: p, resumeAfter: applied,
      handler: (ms) => this.apply(ms),
      onError: (err) => this.d.log.warn({ err, partition: p }, 'partition consumer'),
    })
    if (!link.leases.owns(p)) return
    this.consumers.set(p, consumer)
    await consumer.start()
    this.d.log.info({ partition: p, stations: stations.length, resumeAfter: applied }, 'partition acquired')
  }

  /**
   * Readings of one partition, applied by their stations' owner in stream order: ingest, then the
   * commit that holds them and the last one's sequence.
   */
  private async apply(ms: PartitionMessage[]): Promise<void> {
    const partition = ms[0]!.partition
    if (!this.owned.has(partition)) throw new Error(`partition ${partition} is no longer owned`)
    // Synchronous up to here: the state writes, alert changes and this sequence join one group commit.
    for (const m of ms) this.d.ingest.handle(m.device, m.topic.endsWith('/status') ? 'status' : 'state', m.topic, m.payload)
    this.d.progress.record(partition, ms[ms.length - 1]!.streamSeq, this.epochs.get(partition)!)
    await Promise.all([this.d.readings.durable(), this.d.state.committed()])
  }
}
