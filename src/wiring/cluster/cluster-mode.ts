import type { RequestListener } from 'node:http'
import type { Logger } from 'pino'
import type { RelayedAnswer, RelayedRequest } from '../../adapters/http/owner-relay.ts'
import type { PartitionProgress } from '../../adapters/postgres/partition-progress.ts'
import type { AlertEngine } from '../../alerts/alert-engine.ts'
import { publicAlert, type Alert } from '../../alerts/alert.ts'
import type { ServiceHub } from '../../app/events.ts'
import type { StationCatalogue } from '../../app/station-catalogue.ts'
import type { StatusBoard } from '../../app/status-board.ts'
import type { Fleet } from '../../domain/fleet.ts'
import { KeyedSerial } from '../../domain/keyed-serial.ts'
import type { StationStatus } from '../../domain/station-status.ts'
import type { Ingest } from '../../ingest/ingest.ts'
import type { Part } from '../../lifecycle.ts'
import type { ReadingStore, StateStore } from '../../ports.ts'
import { CommandRelay } from './command-relay.ts'
import type { ClusterLink } from './link.ts'
import { ClusterLiveView } from './live-view.ts'
import { Ownership, type Following } from './ownership.ts'

export interface ClusterModeDeps {
  link: ClusterLink
  fleet: Fleet
  ingest: Ingest
  engine: AlertEngine
  state: StateStore
  readings: ReadingStore
  progress: PartitionProgress
  board: StatusBoard
  hub: ServiceHub
  catalogue: StationCatalogue
  /** parts with per-station work only the owner does, besides the engine (ledger and inspection judgements, notifications) */
  followers: Following[]
  /** this instance's /ws push, built after this */
  push: () => { pushStation(status: StationStatus): void; pushAlert(alert: Alert): void }
  /** this instance's HTTP app, built after this: relayed commands run through it */
  app: () => RequestListener
  databaseHealth: () => { ok: boolean }
  log: Logger
}

/**
 * Cluster mode's composition (contract v2 §F, docs/cluster.md): which stations this instance owns
 * (partition leases), the owner's work for them, what every instance shows of the others' stations
 * (fan-out), commands carried to a station's owner, and API station changes carried to every
 * instance. The single process never builds this.
 */
export class ClusterMode {
  readonly ownership: Ownership
  readonly view: ClusterLiveView
  readonly commands: CommandRelay

  constructor(private readonly d: ClusterModeDeps) {
    const { link, engine, board, catalogue, log } = d
    this.commands = new CommandRelay({ link, app: d.app, log })
    // The view follows too: a station lost here is shown from the store until its new owner speaks.
    const viewFollows = { station: { adopt: () => undefined, release: (s: string) => this.view.released(s) } }
    this.ownership = new Ownership({ link, fleet: d.fleet, ingest: d.ingest, engine, state: d.state, readings: d.readings, progress: d.progress, log, followers: [...d.followers, viewFollows], commands: this.commands })
    this.view = new ClusterLiveView({
      bus: link.bus,
      owns: (s) => this.owns(s),
      local: { statuses: () => board.all(), status: (id) => board.status(id), openAlerts: () => engine.openAlerts() },
      push: d.push,
      log,
      follow: (alert) => {
        engine.follow(alert)
        for (const f of d.followers) f.station.follow?.(alert)
        board.touch(alert.station)
      },
      unresolved: async () => (await Promise.all((['active', 'acknowledged'] as const).map((state) => d.state.alerts.queryAlerts({ state, limit: 10_000 })))).flat().map(publicAlert),
      stationChanged: (config, change) => catalogue.changedElsewhere(config, change),
    })
    const publish = this.view.published()
    d.hub.on('statusChanged', (status) => publish.status(status))
    d.hub.on('alertChanged', (alert, change, by) => publish.alert(alert, change, by))
    d.hub.on('stationConfigured', (config, change) => {
      if (change.elsewhere || change.kind === 'file-reloaded') return
      // Carried once stored: an instance that hears it may read it from the store at once.
      catalogue.committed().then(
        () => publish.station(config, change),
        (err: unknown) => log.error({ err, station: config.id }, 'a station change was not stored: not carried to the other instances'),
      )
    })
  }

  owns(station: string): boolean {
    return this.ownership.owns(station)
  }

  /**
   * Started in this order after the core: the view listens before the ownership adopts stations
   * (no change of another instance is missed), the relay listener before any partition is served.
   */
  parts(): Part[] {
    return [{ name: 'cluster-view', start: () => this.view.start(), stop: () => this.view.stop() }, this.commands, this.ownership]
  }

  relay(station: string, req: RelayedRequest): Promise<RelayedAnswer> {
    return this.commands.send(station, req)
  }

  health(): { instance: string; stations: string[]; nats: { ok: boolean }; database: { ok: boolean } } {
    return { instance: this.d.link.instance, stations: this.ownership.stations(), nats: { ok: this.d.link.natsOk() }, database: { ok: this.d.databaseHealth().ok } }
  }

  /**
   * The MQTT front door's durable gate: an accepted reading is appended to the readings stream of
   * its station's partition. One append at a time per device: an append retried after a lost
   * answer would otherwise land behind the device's later readings, and the stream keeps order.
   */
  forward(): (device: string, kind: 'state' | 'status', packet: { topic: string; payload: Buffer | string }) => Promise<void> {
    const perDevice = new KeyedSerial()
    const { link, fleet } = this.d
    return (device, _kind, packet) => {
      const station = fleet.device(device)?.station.model.id
      if (!station) return Promise.reject(new Error(`device ${device} belongs to no station`))
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
      return perDevice.run(device, async () => void (await link.readings.append(station, device, packet.topic, payload)))
    }
  }
}
