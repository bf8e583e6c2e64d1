import type { AlertRecord, AlertState, Incident } from './alert.ts'

export interface AlertQuery { state?: AlertState; station?: string; limit: number; drill?: boolean; from?: number; to?: number }

/**
 * Where alerts and incidents are kept. Part of the StateStore (ports.ts): saves are queued, reads
 * return Promises and see every save queued before them.
 */
export interface AlertStore {
  saveAlert(a: AlertRecord): void
  /** resolves once every change saved so far is committed (an API answer waits for it) */
  durable(): Promise<void>
  getAlert(id: string): Promise<AlertRecord | undefined>
  /** newest first; `drill: false` leaves drills out, `true` keeps only them; `from`/`to` bound `openedAt` ([from, to)) */
  queryAlerts(q: AlertQuery): Promise<AlertRecord[]>
  /** unresolved alerts, and the newest alert of every (station, rule, subject) */
  loadForEngine(): Promise<{ unresolved: AlertRecord[]; latestOccurrence: Map<string, number> }>
  saveIncident(i: Incident): void
  getIncident(id: string): Promise<Incident | undefined>
  openIncidents(): Promise<Incident[]>
  /** per station, when its newest closed incident closed */
  lastIncidentClose(): Promise<Map<string, number>>
}
