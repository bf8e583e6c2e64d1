import type { Fleet } from '../domain/fleet.ts'
import { computeStatus, type IncidentSummary, type StationStatus } from '../domain/station-status.ts'
import type { StationState } from '../domain/station-state.ts'

/** What the alert engine tells the board about a station. */
export interface AlertView {
  forcedDoors(station: string): ReadonlySet<string>
  unresolvedCount(station: string): number
  openIncident(station: string): IncidentSummary | null
}

const noAlerts: AlertView = { forcedDoors: () => new Set(), unresolvedCount: () => 0, openIncident: () => null }

/**
 * Computes station status on demand and tells listeners, once per event-loop turn,
 * which stations changed, so a burst of readings costs one status per station.
 */
export class StatusBoard {
  private alerts: AlertView = noAlerts
  private readonly dirty = new Set<string>()
  private scheduled = false
  private readonly listeners: ((status: StationStatus) => void)[] = []

  constructor(private readonly fleet: Fleet) {}

  useAlerts(view: AlertView): void {
    this.alerts = view
  }

  onStatus(listener: (status: StationStatus) => void): void {
    this.listeners.push(listener)
  }

  status(stationId: string): StationStatus | undefined {
    const state = this.fleet.stations.get(stationId)
    return state ? this.compute(state) : undefined
  }

  all(): StationStatus[] {
    return [...this.fleet.stations.values()].map((s) => this.compute(s))
  }

  /** Marks a station changed; listeners hear about it after the current burst. */
  touch(stationId: string): void {
    this.dirty.add(stationId)
    if (this.scheduled || this.listeners.length === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      const ids = [...this.dirty]
      this.dirty.clear()
      for (const id of ids) {
        const status = this.status(id)
        if (status) for (const l of this.listeners) l(status)
      }
    })
  }

  private compute(state: StationState): StationStatus {
    const id = state.model.id
    return computeStatus(state, {
      forcedDoors: this.alerts.forcedDoors(id),
      incident: this.alerts.openIncident(id),
      activeAlerts: this.alerts.unresolvedCount(id),
    })
  }
}
