/** Alert rules of contract §6, by name. */
export type RuleName = 'door-forced' | 'door-open-too-long' | 'key-overdue' | 'equipment-missing' | 'stock-low' | 'device-offline' | 'battery-low' | 'tamper' | 'expiring' | 'expired' | 'inspection-overdue' | 'inspection-failed'
export type Severity = 'info' | 'warning' | 'critical'
/** active → acknowledged → resolved; resolved is final, a new occurrence is a new alert. */
export type AlertState = 'active' | 'acknowledged' | 'resolved'

export interface Alert {
  id: string
  station: string
  rule: RuleName
  subject: string
  severity: Severity
  state: AlertState
  message: string
  openedAt: number
  ackedAt?: number
  ackedBy?: string
  ackNote?: string
  resolvedAt?: number
  /** `system` when the service resolved it because the condition cleared */
  resolvedBy?: string
  resolveNote?: string
  escalated: boolean
  escalatedAt?: number
  /** the open incident, if it was raised during one */
  incident?: string
  /**
   * present when the alert opened again and again within a short window: it then stays open
   * while the condition comes and goes, and resolves itself once it has stayed clear a while
   */
  flapping?: true
  /** a drill (演练, contract v2 §D): goes the whole alert path but never changes readiness or real counts */
  drill?: boolean
}

/** What the engine keeps beside the public alert. */
export interface AlertRecord extends Alert {
  /** when the condition began; the same occurrence is never alerted twice */
  occurrence: number
}

export type AlertChange = 'opened' | 'acknowledged' | 'resolved' | 'escalated'

export function publicAlert(a: AlertRecord): Alert {
  const { occurrence: _occurrence, ...rest } = a
  return rest
}

export interface Incident {
  id: string
  station: string
  openedAt: number
  openedBy: string
  note?: string
  closedAt?: number
  closedBy?: string
}
