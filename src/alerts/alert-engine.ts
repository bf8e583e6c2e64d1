import { randomUUID } from 'node:crypto'
import type { Fleet } from '../domain/fleet.ts'
import { parseSubject, type Subject } from '../domain/station-model.ts'
import type { ApplyResult, StationState } from '../domain/station-state.ts'
import { AppError } from '../domain/errors.ts'
import type { EventHub } from '../event-hub.ts'
import type { Clock, Timers } from '../ports.ts'
import { publicAlert, type Alert, type AlertChange, type AlertRecord, type Incident, type RuleName, type Severity } from './alert.ts'
import { AlertLifecycle, escalationOf } from './alert-lifecycle.ts'
import type { AlertStore } from './alert-store.ts'
import { DeadlineQueue } from './deadline-queue.ts'
import { FLAP_OPENS, FLAP_QUIET_MS, FLAP_WINDOW_MS, FlapDamping } from './flap-damping.ts'
import { Incidents } from './incidents.ts'
import { RuleSlots, type RuleSlot } from './rule-slots.ts'
import type { RuleContext } from './rules/rule.ts'
import { DeadlineTimer } from './deadline-timer.ts'
import { alertKey, type UnresolvedAlerts } from './unresolved-alerts.ts'

/** A condition judged outside the engine, on a subject of its own (e.g. `batch:ID`). */
export interface ExternalCondition { rule: RuleName; subject: string; severity: Severity; occurrence: number; message: string }

/** What the engine tells the rest of the service (a subset of the service's event map). */
export interface AlertEvents {
  alertChanged: [alert: Alert, change: AlertChange, by: string | undefined]
  incidentChanged: [incident: Incident, change: 'opened' | 'closed']
}

export interface AlertEngineOptions {
  fleet: Fleet
  store: AlertStore
  clock: Clock
  timers: Timers
  /** where alert and incident changes are announced */
  hub: EventHub<AlertEvents>
  /** a device missed its heartbeats: the live state should mark it offline */
  onSilent: (deviceId: string) => void
  /**
   * Cluster mode: whether this instance owns a station now. The engine judges, times and keeps
   * the alerts of owned stations only; `adopt` and `release` follow ownership. Default: all.
   */
  owns?: (station: string) => boolean
}

/**
 * Judges the rules and raises alerts. Each change of the live state re-evaluates only the rules
 * of the subjects it touched; timed rules and escalations wait in one deadline queue driven by a
 * single timer. What happens to an alert once raised is AlertLifecycle's.
 */
export class AlertEngine {
  readonly name = 'alert-engine'
  private readonly slots = new RuleSlots()
  private readonly incidents: Incidents
  private readonly queue = new DeadlineQueue()
  private readonly flaps = new FlapDamping()
  private readonly alerts: AlertLifecycle
  // The lifecycle's: read here to judge what is open and what was last alerted.
  private readonly unresolved: UnresolvedAlerts
  private readonly latestOccurrence: Map<string, number>
  private readonly timer: DeadlineTimer
  private readonly startedAt: number

  private readonly fleet: Fleet
  private readonly store: AlertStore
  private readonly clock: Clock
  private readonly hub: EventHub<AlertEvents>
  private readonly onSilent: (deviceId: string) => void
  private readonly owns: (station: string) => boolean

  constructor(opts: AlertEngineOptions) {
    this.fleet = opts.fleet
    this.store = opts.store
    this.clock = opts.clock
    this.hub = opts.hub
    this.onSilent = opts.onSilent
    this.owns = opts.owns ?? (() => true)
    this.startedAt = opts.clock.now()
    this.incidents = new Incidents({ store: opts.store, clock: opts.clock, hub: opts.hub })
    this.alerts = new AlertLifecycle({ fleet: opts.fleet, store: opts.store, clock: opts.clock, hub: opts.hub, queue: this.queue, flaps: this.flaps })
    this.unresolved = this.alerts.unresolved
    this.latestOccurrence = this.alerts.latestOccurrence
    this.timer = new DeadlineTimer({ queue: this.queue, clock: opts.clock, timers: opts.timers, onDue: (keys) => this.due(keys) })
  }

  /**
   * Restores alerts and incidents, then judges every subject as the stored state stands. Nothing
   * feeds the engine until it has started (the root starts ingest later), so the loads may wait.
   */
  async start(): Promise<void> {
    const [loaded] = await Promise.all([this.store.loadForEngine(), this.incidents.restore()])
    this.alerts.take(loaded, (station) => this.owns(station))
    for (const state of this.fleet.stations.values()) if (this.owns(state.model.id)) this.evaluateStation(state)
    this.arm()
  }

  /**
   * Cluster mode: stations this instance now owns (one partition's) — their unresolved alerts and
   * open incidents as the previous owner stored them, their rules judged, their timers armed.
   */
  async adopt(stations: string | readonly string[]): Promise<void> {
    const ids = new Set(typeof stations === 'string' ? [stations] : stations)
    const [loaded] = await Promise.all([this.store.loadForEngine(), this.incidents.restore(ids)])
    for (const id of ids) this.alerts.release(id)
    this.alerts.take(loaded, (s) => ids.has(s))
    for (const id of ids) {
      const state = this.fleet.stations.get(id)
      if (state) this.evaluateStation(state)
    }
    this.arm()
  }

  /** Cluster mode: a station this instance no longer owns — its timers stop at once, its alerts are forgotten here. */
  release(station: string): void {
    this.alerts.release(station)
    this.arm()
  }

  /**
   * Cluster mode: an owned station's alert acknowledged or resolved through another instance (it
   * wrote the change to the store): the in-memory record follows, so this owner neither escalates
   * it nor writes it back as it was.
   */
  follow(alert: Alert): void {
    this.alerts.follow(alert)
    this.arm()
  }

  stop(): void {
    this.timer.stop()
  }

  /** Ingest's change listener. */
  handleChange(state: StationState, result: ApplyResult): void {
    if (!this.owns(state.model.id)) return
    const ctx = this.context(state)
    for (const subject of result.touched) this.evaluateSubject(ctx, subject)
    this.arm()
  }

  /**
   * A station was added or its configuration replaced while running (contract v2 §E): alerts on
   * what it no longer names (a removed door, a disabled device) are resolved by `system`, and
   * every subject is judged again under the new rules.
   */
  reconfigured(state: StationState): void {
    const m = state.model
    for (const a of [...this.unresolved.values()]) {
      if (a.station !== m.id) continue
      const subject = parseSubject(a.subject)
      if (!subject) continue
      const known = subject.type === 'door' ? m.doors.has(subject.id) : subject.type === 'key' ? m.keys.has(subject.id) : subject.type === 'item' ? m.items.has(subject.id) : m.devices.has(subject.id)
      if (!known) (this.latestOccurrence.delete(alertKey(a.station, a.rule, a.subject)), this.alerts.close(a, 'system', 'no longer in the station’s configuration'))
    }
    this.evaluateStation(state)
    this.arm()
  }

  // ---- queries ---------------------------------------------------------------------

  /** Doors with an unresolved door-forced alert: a live view, to read at once and not keep. */
  forcedDoors(station: string): ReadonlySet<string> {
    return this.unresolved.forcedDoorsAt(station)
  }

  /** Real alerts only: drills never count. */
  unresolvedCount(station: string): number {
    return this.unresolved.countAt(station)
  }

  /** Active and acknowledged alerts, newest first. */
  openAlerts(): Alert[] {
    return [...this.unresolved.values()].sort((a, b) => b.openedAt - a.openedAt).map(publicAlert)
  }

  countsByState(): Record<'active' | 'acknowledged', number> {
    const c = { active: 0, acknowledged: 0 }
    for (const a of this.unresolved.values()) if (!a.drill) c[a.state as 'active' | 'acknowledged']++
    return c
  }

  openIncident(station: string): Incident | null {
    return this.incidents.openAt(station) ?? null
  }

  get pendingDeadlines(): number {
    return this.queue.size
  }

  // ---- conditions judged outside the engine (the ledger's expiry) --------------------

  /**
   * Takes the whole current set of conditions of `rules` at `station`, judged elsewhere: opens an
   * alert for each new occurrence and resolves (as `system`) the unresolved ones whose condition
   * is gone. An occurrence already alerted is not alerted again, even after a manual resolve.
   * With `subjects`, the caller owns only those subjects of `rules` (the ledger's `stock-low` on
   * items no device reports): alerts of the same rules on other subjects are not its to resolve.
   */
  reconcile(station: string, rules: readonly RuleName[], conditions: readonly ExternalCondition[], subjects?: ReadonlySet<string>): void {
    // Cluster mode: the ledger and the routine judge every station; only the owner raises.
    if (!this.owns(station)) return
    const owned = subjects ? conditions.filter((c) => subjects.has(c.subject)) : conditions
    const wanted = new Map(owned.map((c) => [alertKey(station, c.rule, c.subject), c]))
    for (const a of [...this.unresolved.values()]) {
      if (a.station !== station || !rules.includes(a.rule) || (subjects && !subjects.has(a.subject))) continue
      const key = alertKey(station, a.rule, a.subject)
      if (!wanted.has(key)) (this.latestOccurrence.delete(key), this.alerts.close(a, 'system', 'condition cleared'))
    }
    for (const [key, c] of wanted) {
      if (this.unresolved.get(key)) {
        // The open alert stands for the condition as judged now; a caller that dates a spell from
        // when it first saw it (the ledger after a restart) must not have it raised again once resolved.
        this.latestOccurrence.set(key, c.occurrence)
        continue
      }
      if (this.latestOccurrence.get(key) === c.occurrence) continue
      const incident = this.incidents.openAt(station)
      const alert: AlertRecord = {
        id: randomUUID(), station, rule: c.rule, subject: c.subject, severity: c.severity, state: 'active', message: c.message,
        openedAt: this.clock.now(), escalated: false, occurrence: c.occurrence, ...(incident ? { incident: incident.id } : {}),
      }
      this.alerts.open(alert, key)
    }
    this.arm()
  }

  /**
   * Opens an alert for a condition judged elsewhere that only a person resolves (a failed
   * inspection item, a drill): nothing is opened while one is unresolved on the same subject, or
   * for an occurrence already alerted. A drill alert goes the whole alert path but is kept out of
   * the station's readiness and the real counts.
   */
  raise(station: string, c: ExternalCondition, opts: { drill?: boolean } = {}): Alert | undefined {
    const key = alertKey(station, c.rule, c.subject)
    if (this.unresolved.get(key) || this.latestOccurrence.get(key) === c.occurrence) return undefined
    const incident = opts.drill ? undefined : this.incidents.openAt(station)
    const alert: AlertRecord = {
      id: randomUUID(), station, rule: c.rule, subject: c.subject, severity: c.severity, state: 'active', message: c.message,
      openedAt: this.clock.now(), escalated: false, occurrence: c.occurrence, ...(incident ? { incident: incident.id } : {}), ...(opts.drill ? { drill: true as const } : {}),
    }
    this.alerts.open(alert, key)
    this.arm()
    return publicAlert(alert)
  }

  // ---- responder actions -----------------------------------------------------------

  acknowledge(id: string, user: string, note?: string): Promise<Alert> {
    return this.alerts.acknowledge(id, user, note)
  }

  resolve(id: string, user: string, note?: string): Promise<Alert> {
    return this.alerts.resolve(id, user, note)
  }

  startIncident(station: string, user: string, note?: string): Incident {
    const state = this.fleet.stations.get(station)
    if (!state) throw new AppError('STATION_UNKNOWN', `no station "${station}"`)
    const incident = this.incidents.start(station, user, note)
    // Pending "door open too long" and "missing" deadlines wait until the incident ends.
    this.evaluateStation(state)
    this.arm()
    return incident
  }

  async closeIncident(id: string, user: string): Promise<Incident> {
    const incident = await this.incidents.close(id, user)
    // What is still missing or open is judged from this moment.
    const state = this.fleet.stations.get(incident.station)
    if (state) this.evaluateStation(state)
    this.arm()
    return incident
  }

  // ---- evaluation --------------------------------------------------------------------

  private evaluateStation(state: StationState): void {
    const m = state.model
    const ctx = this.context(state)
    for (const id of m.doors.keys()) this.evaluateSubject(ctx, `door:${id}`)
    for (const id of m.keys.keys()) this.evaluateSubject(ctx, `key:${id}`)
    for (const id of m.items.keys()) this.evaluateSubject(ctx, `item:${id}`)
    for (const id of m.devices.keys()) this.evaluateSubject(ctx, `device:${id}`)
  }

  private evaluateSubject(ctx: RuleContext, subject: Subject): void {
    for (const slot of this.slots.of(ctx.state.model, subject)) this.apply(ctx, slot)
  }

  /** Built once per change (or per station judged), not per rule: a reading is judged as of one moment. */
  private context(state: StationState): RuleContext {
    const ctx: RuleContext = { state, rules: state.model.rules, now: this.clock.now(), startedAt: this.startedAt }
    const closed = this.incidents.lastClosedAt(state.model.id)
    if (closed !== undefined) ctx.incidentClosedAt = closed
    return ctx
  }

  private apply(ctx: RuleContext, { rule, id, subject, key }: RuleSlot): void {
    const station = ctx.state.model.id
    if (rule.pausedByIncident && this.incidents.openAt(station)) {
      this.queue.cancel(key)
      return
    }
    const cond = rule.evaluate(ctx, id)
    if (!cond || cond.due > ctx.now) {
      // Clear now: whatever fires next is a new occurrence, even at the same timestamp.
      this.latestOccurrence.delete(key)
      const open = rule.autoResolve ? this.unresolved.get(key) : undefined
      if (open?.flapping) {
        // Damped: it stays open until the condition has stayed clear for the quiet period.
        const quietEnd = this.flaps.clear(key, ctx.now)
        if (ctx.now < quietEnd) {
          this.queue.schedule(key, cond ? Math.min(cond.due, quietEnd) : quietEnd)
          return
        }
        this.alerts.close(open, 'system', `condition cleared and stayed clear for ${FLAP_QUIET_MS / 60_000} min: no longer flapping`)
      } else if (open) this.alerts.close(open, 'system', 'condition cleared')
      if (cond) this.queue.schedule(key, cond.due)
      else this.queue.cancel(key)
      return
    }
    this.queue.cancel(key)
    this.flaps.firing(key)
    if (this.unresolved.get(key) || this.latestOccurrence.get(key) === cond.occurrence) return
    const incident = this.incidents.openAt(station)
    // Only alerts the service resolves itself can flap; the others stay open anyway.
    const flapping = rule.autoResolve && this.flaps.opened(key, ctx.now)
    const message = rule.message(ctx, id)
    const alert: AlertRecord = {
      id: randomUUID(),
      station,
      rule: rule.name,
      subject,
      severity: cond.severity,
      state: 'active',
      message: flapping ? `${message} (flapping: opened ${FLAP_OPENS} times within ${FLAP_WINDOW_MS / 60_000} min; stays open until clear for ${FLAP_QUIET_MS / 60_000} min)` : message,
      openedAt: ctx.now,
      escalated: false,
      ...(flapping ? { flapping: true as const } : {}),
      occurrence: cond.occurrence,
      ...(incident ? { incident: incident.id } : {}),
    }
    this.alerts.open(alert, key)
    // A silence deadline passed: the device is gone, and its subjects can no longer be confirmed.
    if (rule.name === 'device-offline' && ctx.state.devices.get(id)?.online) this.onSilent(id)
  }

  // ---- deadlines ---------------------------------------------------------------------

  private arm(): void {
    this.timer.arm()
  }

  private due(keys: string[]): void {
    for (const key of keys) {
      const escalating = escalationOf(key)
      if (escalating !== undefined) {
        this.alerts.escalate(escalating)
        continue
      }
      const [station, ruleName, subject] = key.split('|') as [string, string, Subject]
      if (!this.owns(station)) continue
      const state = this.fleet.stations.get(station)
      const slot = state && this.slots.of(state.model, subject).find((s) => s.rule.name === ruleName)
      if (!state || !slot) continue
      this.apply(this.context(state), slot)
    }
  }
}
