import type { Fleet } from '../domain/fleet.ts'
import { computeStatus, type IncidentSummary, type StationStatus } from '../domain/station-status.ts'
import type { StationState } from '../domain/station-state.ts'
import type { EventHub } from '../event-hub.ts'

/** What the alert engine tells the board about a station. */
export interface AlertView {
  forcedDoors(station: string): ReadonlySet<string>
  unresolvedCount(station: string): number
  openIncident(station: string): IncidentSummary | null
}

const noAlerts: AlertView = { forcedDoors: () => new Set(), unresolvedCount: () => 0, openIncident: () => null }

/**
 * Computes station status on demand and tells listeners which stations changed: once per
 * event-loop turn, and a busy station at most once per `minPushIntervalMs` (STATUS_PUSH_INTERVAL_MS).
 * The first change after a quiet spell is pushed at once (after the current burst); changes that
 * follow within the interval are pushed together, as the state at its end. A station's status is
 * a picture, not an event stream (each event is in the audit trail), and at thousands of readings
 * a second recomputing, serializing and sending it for every change cost more than the rest of
 * ingest; alerts are pushed on their own, at once.
 */
export interface StatusBoardOptions {
  fleet: Fleet
  /** where `statusChanged` is announced */
  hub: EventHub<{ statusChanged: [status: StationStatus] }>
  /** the alert engine's view of a station */
  alerts?: AlertView
  /** the ledger's usable units per item of a station (unsensed items take their count from it) */
  ledger?: (station: string) => ReadonlyMap<string, number> | undefined
  /** STATUS_PUSH_INTERVAL_MS */
  minPushIntervalMs?: number
}

export class StatusBoard {
  readonly name = 'status-board'
  private readonly fleet: Fleet
  private readonly hub: StatusBoardOptions['hub']
  private readonly alerts: AlertView
  private readonly ledger: StatusBoardOptions['ledger']
  private readonly minPushIntervalMs: number
  private readonly dirty = new Set<string>()
  private readonly pushedAt = new Map<string, number>()
  private scheduled = false
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity

  constructor(opts: StatusBoardOptions) {
    this.fleet = opts.fleet
    this.hub = opts.hub
    this.alerts = opts.alerts ?? noAlerts
    this.ledger = opts.ledger
    this.minPushIntervalMs = opts.minPushIntervalMs ?? 100
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
    if (!this.hub.has('statusChanged')) return
    this.dirty.add(stationId)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.push())
  }

  /** Stops the timer of a deferred push. */
  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private push(): void {
    this.scheduled = false
    const now = performance.now()
    let nextDue = Infinity
    for (const id of this.dirty) {
      const last = this.pushedAt.get(id)
      if (last !== undefined && now - last < this.minPushIntervalMs) {
        nextDue = Math.min(nextDue, last + this.minPushIntervalMs)
        continue
      }
      this.dirty.delete(id)
      this.pushedAt.set(id, now)
      const status = this.status(id)
      if (status) this.hub.emit('statusChanged', status)
    }
    if (nextDue === Infinity || nextDue >= this.timerAt) return
    clearTimeout(this.timer)
    this.timerAt = nextDue
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      this.push()
    }, Math.ceil(nextDue - now))
    this.timer.unref()
  }

  private compute(state: StationState): StationStatus {
    const id = state.model.id
    return computeStatus(state, {
      forcedDoors: this.alerts.forcedDoors(id),
      incident: this.alerts.openIncident(id),
      activeAlerts: this.alerts.unresolvedCount(id),
      ledger: this.ledger?.(id),
    })
  }
}
