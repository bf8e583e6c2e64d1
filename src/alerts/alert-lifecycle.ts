import type { Fleet } from '../domain/fleet.ts'
import { AppError } from '../domain/errors.ts'
import type { EventHub } from '../event-hub.ts'
import type { Clock } from '../ports.ts'
import { publicAlert, type Alert, type AlertChange, type AlertRecord } from './alert.ts'
import type { AlertStore } from './alert-store.ts'
import type { DeadlineQueue } from './deadline-queue.ts'
import type { FlapDamping } from './flap-damping.ts'
import { alertKey, UnresolvedAlerts } from './unresolved-alerts.ts'

/** What the engine's stored alerts look like when it takes them up (AlertStore.loadForEngine). */
export interface LoadedAlerts { unresolved: AlertRecord[]; latestOccurrence: Map<string, number> }

const ESCALATION = 'esc|'

function escalationKey(alertId: string): string {
  return `${ESCALATION}${alertId}`
}

/** The alert a deadline-queue key escalates, or undefined for a rule's key. */
export function escalationOf(key: string): string | undefined {
  return key.startsWith(ESCALATION) ? key.slice(ESCALATION.length) : undefined
}

/**
 * What happens to an alert once the rules (or a caller) raised it: opened, acknowledged,
 * escalated, resolved, each change saved and announced. Holds the unresolved alerts and the
 * occurrence last alerted per (station, rule, subject), and hands a station's share of them
 * over when cluster ownership moves. Escalation deadlines wait in the engine's deadline
 * queue beside the rules' own; the engine re-arms its timer after calling in here.
 */
export class AlertLifecycle {
  readonly unresolved = new UnresolvedAlerts()
  /** per alertKey: the same occurrence is never alerted twice, even after a manual resolve */
  readonly latestOccurrence = new Map<string, number>()

  constructor(
    private readonly o: { fleet: Fleet; store: AlertStore; clock: Clock; hub: EventHub<{ alertChanged: [alert: Alert, change: AlertChange, by: string | undefined] }>; queue: DeadlineQueue; flaps: FlapDamping },
  ) {}

  /** A new alert, its fields decided by the caller; `key` is its alertKey when the caller holds it already. */
  open(a: AlertRecord, key = alertKey(a.station, a.rule, a.subject)): void {
    this.unresolved.add(a)
    this.latestOccurrence.set(key, a.occurrence)
    if (a.severity === 'critical') this.scheduleEscalation(a)
    this.commit(a, 'opened')
  }

  close(a: AlertRecord, user: string, note?: string): void {
    a.state = 'resolved'
    a.resolvedAt = this.o.clock.now()
    a.resolvedBy = user
    if (note) a.resolveNote = note
    this.unresolved.remove(a)
    if (a.flapping) this.o.flaps.closed(alertKey(a.station, a.rule, a.subject))
    this.o.queue.cancel(escalationKey(a.id))
    this.commit(a, 'resolved', user)
  }

  escalate(alertId: string): void {
    const a = this.unresolved.findById(alertId)
    if (!a || a.state !== 'active' || a.escalated) return
    a.escalated = true
    a.escalatedAt = this.o.clock.now()
    this.commit(a, 'escalated')
  }

  // ---- responder actions -----------------------------------------------------------

  // Acknowledge and resolve decide on the alert's state and change it in the same synchronous step
  // after the one await (mustFind): two requests at once cannot both succeed.
  async acknowledge(id: string, user: string, note?: string): Promise<Alert> {
    const a = await this.mustFind(id)
    if (a.state !== 'active') throw new AppError('CONFLICT', `alert ${id} is already ${a.state}`)
    a.state = 'acknowledged'
    a.ackedAt = this.o.clock.now()
    a.ackedBy = user
    if (note) a.ackNote = note
    this.o.queue.cancel(escalationKey(a.id))
    this.commit(a, 'acknowledged', user)
    return publicAlert(a)
  }

  async resolve(id: string, user: string, note?: string): Promise<Alert> {
    const a = await this.mustFind(id)
    if (a.state === 'resolved') throw new AppError('CONFLICT', `alert ${id} is already resolved`)
    this.close(a, user, note)
    return publicAlert(a)
  }

  // ---- cluster ownership -----------------------------------------------------------

  /** Takes up the stored alerts of the stations `wanted`: unresolved ones kept, pending escalations scheduled. */
  take({ unresolved, latestOccurrence }: LoadedAlerts, wanted: (station: string) => boolean): void {
    for (const a of unresolved) {
      if (!wanted(a.station)) continue
      this.unresolved.add(a)
      if (a.state === 'active' && a.severity === 'critical' && !a.escalated) this.scheduleEscalation(a)
    }
    for (const [k, v] of latestOccurrence) if (wanted(k.slice(0, k.indexOf('|')))) this.latestOccurrence.set(k, v)
  }

  /** Forgets a station: its alerts, their escalations and its rules' deadlines. */
  release(station: string): void {
    const prefix = `${station}|`
    for (const a of [...this.unresolved.values()]) if (a.station === station) (this.unresolved.remove(a), this.o.queue.cancel(escalationKey(a.id)))
    for (const key of this.o.queue.keys()) if (key.startsWith(prefix)) this.o.queue.cancel(key)
    for (const key of [...this.latestOccurrence.keys()]) if (key.startsWith(prefix)) this.latestOccurrence.delete(key)
  }

  /** Another instance acknowledged or resolved an alert held here: the record here follows. */
  follow(alert: Alert): void {
    const a = this.unresolved.findById(alert.id)
    if (!a) return
    Object.assign(a, alert)
    if (alert.state !== 'active') this.o.queue.cancel(escalationKey(a.id))
    if (alert.state === 'resolved') this.unresolved.remove(a)
  }

  // ---- internals -------------------------------------------------------------------

  private scheduleEscalation(a: AlertRecord): void {
    const station = this.o.fleet.stations.get(a.station)
    if (!station) return
    this.o.queue.schedule(escalationKey(a.id), a.openedAt + station.model.rules.escalateAfterSeconds * 1000)
  }

  private commit(a: AlertRecord, change: AlertChange, by?: string): void {
    this.o.store.saveAlert(a)
    const pub = publicAlert(a)
    this.o.hub.emit('alertChanged', pub, change, by)
  }

  /**
   * Every unresolved alert is in memory, and that record is the one to change; the store is asked
   * only for resolved ones (a conflict, or unknown). Looked up in memory again after the store's
   * answer, in case the alert was resolved meanwhile (its stored copy may be older).
   */
  private async mustFind(id: string): Promise<AlertRecord> {
    const open = this.unresolved.findById(id)
    if (open) return open
    const stored = await this.o.store.getAlert(id)
    const found = this.unresolved.findById(id) ?? stored
    if (found) return found
    throw new AppError('ALERT_UNKNOWN', `no alert "${id}"`)
  }
}
