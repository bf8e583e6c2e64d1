import type { ChannelType } from './config.ts'
import type { NotifyAlert, NotifyMessage } from './render.ts'

/** One outbound channel (WeCom robot, DingTalk robot, …). Never throws: a failure is an answer. */
export interface NotifierChannel {
  readonly type: ChannelType
  send(message: NotifyMessage): Promise<{ ok: boolean; error?: string }>
}

export type DeliveryStatus = 'sent' | 'failed' | 'held' | 'merged'

/** One row of an alert's delivery log (GET /api/alerts/:id/notifications adds nothing to it). */
export interface Delivery {
  alertId: string
  at: number
  /** the route step (repeats carry the last step's index); -1 announces the resolve */
  step: number
  /** which firing of the plan it belongs to: k-th step or repeat; -1 for the resolve */
  firing: number
  channel: string
  /** person id, for channels that address people */
  to?: string
  status: DeliveryStatus
  error?: string
}

/** Where an alert's escalation stands, saved so that a restart keeps the schedule. */
export interface PlanState {
  alert: NotifyAlert
  route: number
  /** the next firing to run */
  next: number
  dueAt: number
  /** set while quiet hours hold the firing `next` */
  heldUntil?: number
  /** the last firing (`next` - 1) has fired; nothing more is due */
  finished?: true
}

/**
 * The delivery log and the escalation plans. Part of the StateStore (ports.ts): writes are
 * fire-and-forget (the SQLite one queues them on the writer thread); reads return Promises and see
 * every write made before them.
 */
export interface DeliveryLog {
  record(d: Delivery): void
  forAlert(alertId: string): Promise<Delivery[]>
  savePlan(p: PlanState): void
  dropPlan(alertId: string): void
  /** plans not yet finished or stopped, to restore after a restart */
  pendingPlans(): Promise<PlanState[]>
}

export class MemoryDeliveryLog implements DeliveryLog {
  private readonly rows: Delivery[] = []
  private readonly plans = new Map<string, PlanState>()
  record(d: Delivery): void {
    this.rows.push({ ...d })
  }
  async forAlert(alertId: string): Promise<Delivery[]> {
    return this.rows.filter((r) => r.alertId === alertId).map((r) => ({ ...r }))
  }
  savePlan(p: PlanState): void {
    this.plans.set(p.alert.id, structuredClone(p))
  }
  dropPlan(alertId: string): void {
    this.plans.delete(alertId)
  }
  async pendingPlans(): Promise<PlanState[]> {
    return [...this.plans.values()].map((p) => structuredClone(p))
  }
}
