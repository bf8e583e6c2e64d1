import type { AlertChange } from '../alerts/alert.ts'
import { ChannelQueue, type Job } from './channel-queue.ts'
import type { Route } from './config.ts'
import { DEFAULT_LIMITS, type ChannelStatus, type NotificationRow, type NotifierLimits, type NotifierOptions } from './notifier-options.ts'
import type { Delivery, PlanState } from './ports.ts'
import { renderAlert, renderResolved, renderTest, type NotifyAlert, type NotifyMessage, type StationInfo } from './render.ts'
import { firing, quietUntil, recipients, routeFor } from './schedule.ts'
import { TimerQueue } from './timer-queue.ts'

export { DEFAULT_LIMITS, type ChannelStatus, type NotificationRow, type NotifierLimits, type NotifierLog, type NotifierOptions } from './notifier-options.ts'

/**
 * Turns alert changes into messages on the configured channels (contract v2 §B): the route's steps
 * at their times while the alert stays active, repeats, quiet hours, storm merging, retries. Never
 * blocks the caller: handleAlertChange only queues. The plan of every active alert and every
 * delivery are written to the delivery log, so a restart keeps the schedule and sends nothing twice.
 * In cluster mode it sends for the stations this instance owns, and takes a station's plans over
 * from the shared log when it comes to own it (`adopt`, `release`: docs/notifications.md).
 */
export class Notifier {
  readonly name = 'notifier'
  private readonly timerQueue: TimerQueue
  private readonly queues = new Map<string, ChannelQueue>()
  private readonly plans = new Map<string, PlanState>()
  /** alerts still active, with their station: their messages go out, also retries */
  private readonly live = new Map<string, string>()
  /** `firing|channel|to` already sent or merged, per alert */
  private readonly delivered = new Map<string, Set<string>>()
  private readonly openings = new Map<string, number[]>()
  /** alerts something was sent (or merged) for: only those get a resolve announcement */
  private readonly notified = new Set<string>()
  private readonly limits: NotifierLimits
  private started = false
  private readonly owns: (station: string) => boolean
  /** per station, how often it was released: an adoption whose station was released meanwhile is void */
  private readonly tenures = new Map<string, number>()
  /** per station being adopted, the alerts stopped while its plans were being read */
  private readonly adopting = new Map<string, Set<string>>()

  constructor(private readonly o: NotifierOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...o.limits }
    this.owns = o.owns ? (s) => o.owns!(s) : () => true
    this.timerQueue = new TimerQueue(o.clock, o.timers)
    for (const [name, cfg] of o.config.channels) {
      const channel = o.channels.get(name)
      if (!channel) throw new Error(`notifier: no adapter for channel ${name}`)
      const hooks = {
        isLive: (j: Job) => j.message.kind !== 'alert' || this.live.has(j.alert.id),
        record: (d: Delivery) => this.record(d),
        warn: (obj: object, msg: string) => o.log.warn(obj, msg),
      }
      this.queues.set(name, new ChannelQueue({ name, channel, language: cfg.language ?? o.config.language, publicUrl: o.config.publicUrl, clock: o.clock, timers: this.timerQueue, limits: this.limits, hooks }))
    }
  }

  /** Restores the plans left by an earlier run (of owned stations); a step that fell due meanwhile fires now. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    // The root starts the notifier before the alert engine, so no alert change arrives while the
    // reads are out. In cluster mode nothing is owned yet: stations come later through `adopt`.
    this.restore(await this.readPlans((s) => this.owns(s)), 0)
  }

  /**
   * Cluster mode: stations this instance now owns (a partition's, read in one pass). Their pending
   * plans are restored from the shared delivery log and their timers armed; what the log shows as
   * sent is not sent again, and the previous owner's unsent messages of the last firing go out
   * after `handOverSettleMs`.
   */
  async adopt(stations: string | readonly string[]): Promise<void> {
    if (!this.started) return
    const ids = new Set(typeof stations === 'string' ? [stations] : stations)
    const tenures = new Map([...ids].map((s) => [s, this.tenures.get(s) ?? 0]))
    const stopped = new Set<string>()
    for (const s of ids) this.adopting.set(s, stopped)
    try {
      const restored = await this.readPlans((s) => ids.has(s))
      // A station released (or taken again) while the reads were out is not restored from them.
      const still = (s: string) => (this.tenures.get(s) ?? 0) === tenures.get(s) && this.owns(s)
      this.restore(restored.filter((r) => still(r.plan.alert.station) && !stopped.has(r.plan.alert.id)), this.o.handOverSettleMs ?? 25_000)
    } finally {
      for (const s of ids) if (this.adopting.get(s) === stopped) this.adopting.delete(s)
    }
  }

  /**
   * Cluster mode: a station this instance no longer owns. Its timers stop and its queued messages
   * are dropped at once; its plans stay in the log for the next owner. A request already in flight
   * ends and is recorded as usual (the adopter waits for that: `handOverSettleMs`); a resolve
   * announcement already queued still goes out, as nobody else would send it.
   */
  release(station: string): void {
    this.tenures.set(station, (this.tenures.get(station) ?? 0) + 1)
    for (const [id, s] of [...this.live]) {
      if (s !== station) continue
      this.live.delete(id)
      this.plans.delete(id)
      this.delivered.delete(id)
      this.notified.delete(id)
      this.timerQueue.delete(`plan:${id}`)
      this.timerQueue.delete(`resume:${id}`)
      for (const q of this.queues.values()) q.cancel(id)
    }
  }

  /**
   * Cluster mode: an owned station's alert acknowledged or resolved through another instance (whose
   * notifier ignores it): its escalation stops here, and a resolve is announced by this owner.
   */
  follow(alert: NotifyAlert): void {
    if (alert.state === 'acknowledged') this.handleAlertChange(alert, 'acknowledged', alert.ackedBy)
    if (alert.state === 'resolved') this.handleAlertChange(alert, 'resolved', alert.resolvedBy)
  }

  /** What restoring needs, read first (store reads are Promises), so that `restore` is one synchronous step. */
  private async readPlans(wanted: (station: string) => boolean) {
    const plans = (await this.o.deliveries.pendingPlans()).filter((p) => wanted(p.alert.station))
    return Promise.all(plans.map(async (plan) => ({ plan, current: await this.o.currentAlert?.(plan.alert.id), deliveries: await this.o.deliveries.forAlert(plan.alert.id) })))
  }

  private restore(restored: { plan: PlanState; current: { state: NotifyAlert['state'] } | undefined; deliveries: Delivery[] }[], settleMs: number): void {
    for (const { plan, current, deliveries } of restored) {
      // Opened (or restored) here while the reads were out: that one is current.
      if (this.live.has(plan.alert.id) || !this.owns(plan.alert.station)) continue
      // The config may have changed meanwhile: the alert follows the route that matches it now.
      const found = routeFor(this.o.config, plan.alert.station, plan.alert.severity)
      if (!found || (this.o.currentAlert && current?.state !== 'active')) {
        this.o.deliveries.dropPlan(plan.alert.id)
        continue
      }
      const route = found.route
      plan.route = found.index
      this.plans.set(plan.alert.id, plan)
      this.live.set(plan.alert.id, plan.alert.station)
      const done = new Set<string>()
      this.delivered.set(plan.alert.id, done)
      this.noteDone(plan.alert.id, done, deliveries)
      // Messages of the last firing that were queued but not sent when the earlier run stopped.
      if (plan.next > 0 && !plan.heldUntil) {
        if (settleMs > 0) this.resumeLater(plan, plan.next - 1, done, settleMs)
        else this.dispatch(plan, route, plan.next - 1, false)
      }
      if (!plan.finished) this.schedule(plan)
    }
  }

  private noteDone(alertId: string, done: Set<string>, deliveries: Delivery[]): void {
    for (const d of deliveries) {
      if (d.status !== 'sent' && d.status !== 'merged') continue
      done.add(`${d.firing}|${d.channel}|${d.to ?? ''}`)
      this.notified.add(alertId)
    }
  }

  /** After a hand-over: the log is read again once a send in flight on the previous owner has ended and been recorded. */
  private resumeLater(plan: PlanState, k: number, done: Set<string>, settleMs: number): void {
    this.timerQueue.set(`resume:${plan.alert.id}`, this.o.clock.now() + settleMs, () => void this.resume(plan, k, done))
  }

  private async resume(plan: PlanState, k: number, done: Set<string>): Promise<void> {
    const id = plan.alert.id
    let deliveries: Delivery[] = []
    try {
      deliveries = await this.o.deliveries.forAlert(id)
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err), alert: id }, 'notifier: delivery log not read after a hand-over; sending what is not known as sent')
    }
    // Released, stopped or adopted anew meanwhile: not ours to send.
    if (this.delivered.get(id) !== done || !this.live.has(id)) return
    this.noteDone(id, done, deliveries)
    const route = this.o.config.routes[plan.route]
    if (route) this.dispatch(plan, route, k, false)
  }

  /** Stops every timer; waits for requests in flight (they are recorded), sends nothing more. */
  async stop(): Promise<void> {
    this.started = false
    this.timerQueue.stop()
    for (const q of this.queues.values()) q.close()
    await Promise.all([...this.queues.values()].map((q) => q.drain()))
  }

  /** Resolves once no request is in flight on any channel (tests; a graceful stop). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const busy = [...this.queues.values()].filter((q) => q.busy)
      if (!busy.length) return
      await Promise.all(busy.map((q) => q.drain()))
    }
  }

  /** Called on every alert change. Returns at once; sending happens later. */
  handleAlertChange(alert: NotifyAlert, change: AlertChange, by?: string): void {
    // A station owned elsewhere is its owner's to notify (it follows changes made here: `follow`).
    if (!this.started || !this.owns(alert.station)) return
    try {
      if (change === 'opened' && alert.state === 'active') return this.open(alert)
      if (change === 'acknowledged' || change === 'resolved' || alert.state !== 'active') this.stopAlert(alert, change, by)
    } catch (err) {
      // A bug here must not reach the alert engine that called us.
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err), alert: alert.id }, 'notifier: alert change not handled')
    }
  }

  /** GET /api/alerts/:id/notifications */
  async notificationsFor(alertId: string): Promise<NotificationRow[]> {
    return (await this.o.deliveries.forAlert(alertId))
      .sort((a, b) => a.at - b.at)
      .map((d) => ({ at: d.at, step: d.step, channel: d.channel, ...(d.to ? { to: d.to } : {}), status: d.status, ...(d.error ? { error: d.error } : {}) }))
  }

  /** GET /api/notify/status */
  status(): Record<string, ChannelStatus> {
    const out: Record<string, ChannelStatus> = {}
    for (const [name, q] of this.queues) {
      const type = this.o.config.channels.get(name)!.type
      out[name] = { type, ...(q.lastSuccessAt !== undefined ? { lastSuccessAt: q.lastSuccessAt } : {}), ...(q.lastError ? { lastError: { ...q.lastError } } : {}), queued: q.queued }
    }
    return out
  }

  /** POST /api/notify/test: sends a test message now and answers with its delivery. */
  async sendTest(channel: string): Promise<{ at: number; channel: string; status: 'sent' | 'failed'; error?: string } | undefined> {
    const q = this.queues.get(channel)
    if (!q) return undefined
    const cfg = this.o.config.channels.get(channel)!
    const message: NotifyMessage = renderTest(channel, cfg.language ?? this.o.config.language, this.o.config.publicUrl)
    if (cfg.type === 'sms-aliyun') message.to = [...this.o.config.people.values()].filter((p) => p.phone).slice(0, 1)
    const res = await q.sendNow(message)
    return { at: this.o.clock.now(), channel, status: res.ok ? 'sent' : 'failed', ...(res.error ? { error: res.error } : {}) }
  }

  private open(alert: NotifyAlert): void {
    if (this.plans.has(alert.id) || this.live.has(alert.id)) return
    const found = routeFor(this.o.config, alert.station, alert.severity)
    if (!found) return
    this.noteOpening(alert.station)
    this.live.set(alert.id, alert.station)
    this.delivered.set(alert.id, new Set())
    const first = firing(found.route, alert.openedAt, 0)!
    const plan: PlanState = { alert, route: found.index, next: 0, dueAt: first.dueAt }
    this.plans.set(alert.id, plan)
    this.o.deliveries.savePlan(plan)
    this.schedule(plan)
  }

  private schedule(plan: PlanState): void {
    const at = plan.heldUntil ?? plan.dueAt
    this.timerQueue.set(`plan:${plan.alert.id}`, at, () => this.fire(plan.alert.id))
  }

  private fire(alertId: string): void {
    const plan = this.plans.get(alertId)
    const route = plan && this.o.config.routes[plan.route]
    if (!plan || !route || plan.finished || !this.live.has(alertId)) return
    const now = this.o.clock.now()
    const tz = this.stationOf(plan.alert.station).timezone
    const held = quietUntil(route, plan.alert.severity, now, tz)
    if (held !== undefined) {
      if (plan.heldUntil === undefined) {
        const f = firing(route, plan.alert.openedAt, plan.next)!
        for (const channel of route.steps[f.step]!.channels) this.record({ alertId, at: now, step: f.step, firing: plan.next, channel, status: 'held' })
      }
      plan.heldUntil = held
      this.o.deliveries.savePlan(plan)
      return this.schedule(plan)
    }
    delete plan.heldUntil
    this.dispatch(plan, route, plan.next, this.inStorm(plan.alert.station) && plan.next === 0)
    const next = firing(route, plan.alert.openedAt, plan.next + 1)
    if (!next) {
      // Kept, finished, until the alert is acknowledged or resolved: after a restart or a hand-over
      // what this last firing has not sent yet (queued, between retries) still goes out.
      plan.next++
      plan.finished = true
      this.o.deliveries.savePlan(plan)
      return
    }
    plan.next++
    // After a hold, steps that fell due during it follow one by one, not in one burst.
    plan.dueAt = Math.max(next.dueAt, now)
    this.o.deliveries.savePlan(plan)
    this.schedule(plan)
  }

  /** Queues firing `k`'s messages, skipping any already sent (after a restart). */
  private dispatch(plan: PlanState, route: Route, k: number, merged: boolean): void {
    const f = firing(route, plan.alert.openedAt, k)
    if (!f) return
    const step = route.steps[f.step]!
    const station = this.stationOf(plan.alert.station)
    const now = this.o.clock.now()
    const done = this.delivered.get(plan.alert.id) ?? new Set<string>()
    for (const channel of step.channels) {
      const q = this.queues.get(channel)
      const cfg = this.o.config.channels.get(channel)
      if (!q || !cfg) continue
      const language = cfg.language ?? this.o.config.language
      const rendered = renderAlert(plan.alert, { language, publicUrl: this.o.config.publicUrl, station, ...this.keyHolderOf(plan.alert) })
      // SMS addresses people one by one; group robots get one message (naming nobody).
      const people = cfg.type === 'sms-aliyun' ? recipients(this.o.config, step, plan.alert.station, now, station.timezone) : [undefined]
      if (!people.length) this.record({ alertId: plan.alert.id, at: now, step: f.step, firing: k, channel, status: 'failed', error: 'nobody on call' })
      for (const person of people) {
        if (done.has(`${k}|${channel}|${person?.id ?? ''}`)) continue
        const message: NotifyMessage = { ...rendered, change: 'opened', ...(person ? { to: [person] } : {}) }
        const job: Job = { alert: plan.alert, station, firing: k, step: f.step, ...(person ? { to: person.id } : {}), message, attempt: 0, notBefore: now }
        if (merged) q.merge(job)
        else q.enqueue(job)
      }
    }
  }

  private stopAlert(alert: NotifyAlert, change: AlertChange, by: string | undefined): void {
    const wasLive = this.live.delete(alert.id)
    this.adopting.get(alert.station)?.add(alert.id)
    this.timerQueue.delete(`plan:${alert.id}`)
    this.timerQueue.delete(`resume:${alert.id}`)
    if (this.plans.delete(alert.id) || wasLive) this.o.deliveries.dropPlan(alert.id)
    this.delivered.delete(alert.id)
    for (const q of this.queues.values()) q.cancel(alert.id)
    // Announced also after an acknowledgement (the group learns the matter is closed), but not
    // for an alert nobody was told of (held by quiet hours, say).
    if (change !== 'resolved' || !this.notified.delete(alert.id)) return
    const found = routeFor(this.o.config, alert.station, alert.severity)
    if (!found) return
    const station = this.stationOf(alert.station)
    const now = this.o.clock.now()
    for (const channel of found.route.steps[0]!.channels) {
      const q = this.queues.get(channel)
      const cfg = this.o.config.channels.get(channel)
      if (!q || !cfg || cfg.type === 'sms-aliyun') continue
      const rendered = renderResolved(alert, by, { language: cfg.language ?? this.o.config.language, publicUrl: this.o.config.publicUrl, station })
      const message: NotifyMessage = { ...rendered, change: 'resolved', ...(by ? { by } : {}) }
      q.enqueue({ alert, station, firing: -1, step: -1, message, attempt: 0, notBefore: now })
    }
    for (const q of this.queues.values()) q.pump()
  }

  private record(d: Delivery): void {
    if ((d.status === 'sent' || d.status === 'merged') && d.firing >= 0) {
      this.delivered.get(d.alertId)?.add(`${d.firing}|${d.channel}|${d.to ?? ''}`)
      this.notified.add(d.alertId)
    }
    this.o.deliveries.record(d)
    this.o.onDelivery?.(d)
  }

  private noteOpening(station: string): void {
    const now = this.o.clock.now()
    const list = (this.openings.get(station) ?? []).filter((t) => t > now - this.limits.stormWindowMs)
    list.push(now)
    this.openings.set(station, list)
  }

  private inStorm(station: string): boolean {
    const now = this.o.clock.now()
    return (this.openings.get(station) ?? []).filter((t) => t > now - this.limits.stormWindowMs).length > this.limits.stormAlerts
  }

  private stationOf(id: string): StationInfo {
    return this.o.station(id) ?? { name: id, timezone: 'UTC' }
  }

  private keyHolderOf(alert: NotifyAlert): { keyHolder?: string } {
    const k = this.o.keyHolder?.(alert)
    return k ? { keyHolder: k } : {}
  }
}
