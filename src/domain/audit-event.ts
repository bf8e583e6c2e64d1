/** One line of the audit trail: who did what, to which door, key or item, when. */
export type EventKind =
  | 'door-opened'
  | 'door-closed'
  | 'key-taken'
  | 'key-returned'
  | 'item-removed'
  | 'item-returned'
  | 'count-changed'
  | 'device-online'
  | 'device-offline'
  | 'alert-opened'
  | 'alert-acknowledged'
  | 'alert-resolved'
  | 'alert-escalated'
  | 'incident-opened'
  | 'incident-closed'
  // the station ledger (台账): one per movement, with who (`user`) and when
  | 'ledger-receipt'
  | 'ledger-issue'
  | 'ledger-count'
  | 'ledger-write-off'
  // the station's routine (contract v2 §D)
  | 'inspection-run'
  | 'training-recorded'
  | 'drill-started'
  | 'drill-ended'
  // stations and devices through the API or a re-read station file (contract v2 §E)
  | 'station-created'
  | 'station-updated'
  | 'station-file-reloaded'
  | 'device-added'
  | 'device-secret-rotated'
  | 'device-disabled'

export interface AuditEvent {
  /** server time, ms since the epoch */
  t: number
  station: string
  kind: EventKind
  subject: string
  /** the device that reported it; empty for actions taken through the API */
  device: string
  user?: string
  /** new count for count-changed; alert id for alert events */
  value?: number | string
  /** short free text: the alert message, a note, which key was out when a door opened */
  detail?: string
  incident?: string
}
