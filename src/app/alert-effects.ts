import type { Logger } from 'pino'
import type { Alert, AlertChange, Incident } from '../alerts/alert.ts'
import type { AuditEvent } from '../domain/audit-event.ts'
import type { Clock, Point, ReadingStore, RecordStore } from '../ports.ts'
import type { ServiceHub } from './events.ts'

export interface AlertEffectsOptions {
  hub: ServiceHub
  readings: ReadingStore
  records: RecordStore
  clock: Clock
  log: Logger
  /** live push: every change reaches the dashboards at once */
  push: { pushAlert(alert: Alert): void }
  /** the station's status shows its alerts and incident */
  board: { touch(station: string): void }
  /** what goes out of the service: the webhook, the notifier */
  outbound: { alertChanged(alert: Alert, change: AlertChange, by: string | undefined): void }[]
}

/**
 * What happens when an alert or an incident changes, in order: the `alert` time series point
 * (contract §7) and the audit-trail event are queued, the change is logged, pushed to `/ws`, handed
 * to every outbound channel, and the station's status is marked changed. Nothing here waits: each
 * receiver queues its own I/O.
 */
export function wireAlertEffects({ hub, readings, records, clock, log, push, board, outbound }: AlertEffectsOptions): void {
  hub.on('alertChanged', (alert, change, by) => {
    const t = clock.now()
    readings.write([alertPoint(alert, t)])
    records.appendEvents([alertEvent(alert, change, t, by)])
    log.info({ alert: alert.id, station: alert.station, rule: alert.rule, subject: alert.subject, change, by }, `alert ${change}`)
    push.pushAlert(alert)
    for (const o of outbound) o.alertChanged(alert, change, by)
    board.touch(alert.station)
  })
  hub.on('incidentChanged', (incident, change) => {
    records.appendEvents([incidentEvent(incident, change)])
    board.touch(incident.station)
  })
}

export function alertPoint(a: Alert, t: number): Point {
  return {
    measurement: 'alert',
    t,
    station: a.station,
    subject: `alert:${a.subject}`,
    tags: { station: a.station, rule: a.rule, severity: a.severity },
    fields: { id: a.id, state: a.state, subject: a.subject, escalated: a.escalated },
  }
}

export function alertEvent(a: Alert, change: AlertChange, t: number, by: string | undefined): AuditEvent {
  const note = change === 'acknowledged' ? a.ackNote : change === 'resolved' ? a.resolveNote : undefined
  return {
    t,
    station: a.station,
    kind: `alert-${change}`,
    subject: a.subject,
    device: a.subject.startsWith('device:') ? a.subject.slice(7) : '',
    ...(by ? { user: by } : {}),
    value: a.id,
    detail: `${a.rule}: ${a.message}${note ? ` — ${note}` : ''}`,
    ...(a.incident ? { incident: a.incident } : {}),
  }
}

function incidentEvent(incident: Incident, change: 'opened' | 'closed'): AuditEvent {
  const closed = change === 'closed'
  return {
    t: closed ? incident.closedAt! : incident.openedAt,
    station: incident.station,
    kind: closed ? 'incident-closed' : 'incident-opened',
    subject: `incident:${incident.id}`,
    device: '',
    user: closed ? incident.closedBy! : incident.openedBy,
    value: incident.id,
    ...(incident.note && !closed ? { detail: incident.note } : {}),
    incident: incident.id,
  }
}
