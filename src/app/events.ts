import type { Alert, AlertChange, Incident } from '../alerts/alert.ts'
import type { ApplyResult, StationState } from '../domain/station-state.ts'
import type { StationStatus } from '../domain/station-status.ts'
import type { EventHub } from '../event-hub.ts'

/**
 * The one vocabulary the parts are wired with. Each event is named for what happened, in the past
 * tense; its listeners are called synchronously, in the order they subscribed, so a listener that
 * needs to do I/O queues it and returns (nothing here may block ingest).
 */
export interface ServiceEvents {
  /** a reading or status changed a station's live state (ingest) */
  stationChanged: [station: StationState, result: ApplyResult]
  /** an alert opened, was acknowledged, resolved or escalated (alert engine) */
  alertChanged: [alert: Alert, change: AlertChange, by: string | undefined]
  /** an incident opened or closed (alert engine) */
  incidentChanged: [incident: Incident, change: 'opened' | 'closed']
  /** a station's status is worth pushing (status board, coalesced) */
  statusChanged: [status: StationStatus]
}

export type ServiceHub = EventHub<ServiceEvents>
