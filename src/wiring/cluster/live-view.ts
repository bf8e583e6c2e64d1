import type { Logger } from 'pino'
import type { FanOutBus } from '../../adapters/nats/fan-out.ts'
import type { Alert, AlertChange } from '../../alerts/alert.ts'
import type { StationChange } from '../../app/station-catalogue.ts'
import type { StationConfig } from '../../domain/station.ts'
import type { StationStatus } from '../../domain/station-status.ts'

interface Push { pushStation(status: StationStatus): void; pushAlert(alert: Alert): void }
interface Local { statuses(): StationStatus[]; status(id: string): StationStatus | undefined; openAlerts(): Alert[] }

/** how often the alerts of stations owned elsewhere are read again from the store */
const RESYNC_MS = 60_000

/**
 * What every instance shows of the stations it does not own: their owners publish each status and
 * alert change on the fan-out bus; here they are kept (the last status per station, the unresolved
 * alerts) and pushed to this instance's own /ws clients. Owned stations come from the local board
 * and engine as in a single process.
 */
export class ClusterLiveView {
  private readonly remoteStatus = new Map<string, StationStatus>()
  private readonly remoteAlerts = new Map<string, Alert>()
  /** alerts heard on the bus while the store is being read: newer than what it says (undefined when no read is out) */
  private heard: Set<string> | undefined
  private reads = 0
  /** stations this instance has just lost, whose alerts are read from the store on the next turn */
  private lost = new Set<string>()
  private resync: NodeJS.Timeout | undefined

  constructor(
    private readonly o: {
      bus: FanOutBus
      owns: (station: string) => boolean
      local: Local
      push: () => Push
      log: Logger
      follow: (alert: Alert) => void
      /** the unresolved alerts as the state store has them: what an instance starting late shows until they change */
      unresolved: () => Promise<Alert[]>
      /** a station changed through another instance's API (stored there): take it into effect here */
      stationChanged: (config: StationConfig, change: StationChange) => void
    },
  ) {}

  /**
   * Publishes what changes here: everything of owned stations, and the alerts of stations owned
   * elsewhere that a responder acknowledged or resolved through this instance (their owner follows).
   */
  published(): { status(s: StationStatus): void; alert(a: Alert, change: AlertChange, by: string | undefined): void; station(config: StationConfig, change: StationChange): void } {
    return {
      status: (s) => (this.o.owns(s.id) ? this.o.bus.publish('status', s) : undefined),
      alert: (a, change, by) => this.o.bus.publish('alert', { alert: a, change, by: by ?? null }),
      station: (config, change) => this.o.bus.publish('station', { config, change }),
    }
  }

  async start(): Promise<void> {
    this.o.bus.subscribe(
      (m) => {
        if (m.kind === 'status') {
          const s = m.payload as StationStatus
          if (this.o.owns(s.id)) return
          this.remoteStatus.set(s.id, s)
          this.o.push().pushStation(s)
        } else if (m.kind === 'hello') {
          // An instance started: it hears the statuses of the stations owned here at once.
          for (const st of this.o.local.statuses()) if (this.o.owns(st.id)) this.o.bus.publish('status', st)
        } else if (m.kind === 'station') {
          const { config, change } = m.payload as { config: StationConfig; change: StationChange }
          this.o.stationChanged(config, change)
        } else if (m.kind === 'alert') {
          const { alert } = m.payload as { alert: Alert }
          this.heard?.add(alert.id)
          const owned = this.o.owns(alert.station)
          // Kept only while unresolved and owned elsewhere: nothing stays behind to reappear later.
          if (alert.state === 'resolved' || owned) this.remoteAlerts.delete(alert.id)
          else this.remoteAlerts.set(alert.id, alert)
          if (owned) this.o.follow(alert)
          this.o.push().pushAlert(alert)
        }
      },
      (err) => this.o.log.warn({ err }, 'fan-out: a message could not be handled'),
    )
    await this.o.bus.ready()
    // What changed before this instance listened: the alerts from the store, the statuses from their owners.
    await this.fromStore(() => true)
    this.o.bus.publish('hello', {})
    // The bus is at most once: a resolve missed while disconnected is made good from the store.
    this.resync = setInterval(() => void this.fromStore(() => true).catch((err: unknown) => this.o.log.warn({ err }, 'the alerts of stations owned elsewhere could not be read')), RESYNC_MS)
    this.resync.unref()
  }

  /**
   * A station this instance no longer owns: until its new owner publishes changes, its unresolved
   * alerts are shown as stored (read once for all the stations lost in one turn).
   */
  released(station: string): void {
    if (this.lost.size === 0) {
      setImmediate(() => {
        const lost = this.lost
        this.lost = new Set()
        this.fromStore((s) => lost.has(s)).catch((err: unknown) => this.o.log.warn({ err }, 'the alerts of stations lost could not be read'))
      })
    }
    this.lost.add(station)
  }

  /**
   * The unresolved alerts of `wanted` stations owned elsewhere, as the store has them: added, and
   * those the store no longer holds unresolved dropped — except alerts the bus told of meanwhile,
   * which are newer than the read.
   */
  private async fromStore(wanted: (station: string) => boolean): Promise<void> {
    this.heard ??= new Set()
    this.reads++
    try {
      const stored = await this.o.unresolved()
      const ids = new Set(stored.map((a) => a.id))
      for (const [id, a] of this.remoteAlerts) if (wanted(a.station) && !ids.has(id) && !this.heard.has(id)) this.remoteAlerts.delete(id)
      for (const a of stored) if (wanted(a.station) && !this.o.owns(a.station) && !this.heard.has(a.id)) this.remoteAlerts.set(a.id, a)
    } finally {
      if (--this.reads === 0) this.heard = undefined
    }
  }

  stop(): void {
    clearInterval(this.resync)
    this.o.bus.close()
  }

  /** the board's `all()`, for the HTTP API */
  all(): StationStatus[] {
    return this.statuses()
  }

  statuses(): StationStatus[] {
    return this.o.local.statuses().map((s) => (this.o.owns(s.id) ? s : (this.remoteStatus.get(s.id) ?? s)))
  }

  status(id: string): StationStatus | undefined {
    return this.o.owns(id) ? this.o.local.status(id) : (this.remoteStatus.get(id) ?? this.o.local.status(id))
  }

  /**
   * The station of an unresolved alert of a station owned elsewhere, as fanned out: known here
   * before its owner's commit makes it readable from the store.
   */
  stationOfAlert(id: string): string | undefined {
    return this.remoteAlerts.get(id)?.station
  }

  openAlerts(): Alert[] {
    const remote = [...this.remoteAlerts.values()].filter((a) => !this.o.owns(a.station))
    return [...this.o.local.openAlerts(), ...remote].sort((a, b) => b.openedAt - a.openedAt)
  }
}
