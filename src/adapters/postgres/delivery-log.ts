import type pg from 'pg'
import type { Delivery, DeliveryLog, PlanState } from '../../notify/ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { json, text } from './pool.ts'
import { insertRows } from './rows.ts'
import { toDelivery, type DeliveryRow } from '../../storage/state-rows.ts'


/**
 * The notifier's delivery log and escalation plans in PostgreSQL, written through the group
 * writer. A plan row holds the latest state of the alert's escalation; NULL once it finished or
 * was stopped.
 */
export class PostgresDeliveryLog implements DeliveryLog {
  private readonly insertDelivery
  private readonly upsertPlan
  /** the state each plan row gets when the batch is cut; null = finished */
  private readonly planRows = new Map<string, PlanState | null>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.insertDelivery = writer.table(
      insertRows('notify_deliveries', [
        ['alert_id', 'text'], ['at', 'bigint'], ['step', 'integer'], ['firing', 'integer'], ['channel', 'text'], ['recipient', 'text'], ['status', 'text'], ['error', 'text'],
      ]),
    )
    this.upsertPlan = writer.latest(insertRows('notify_plans', [['alert_id', 'text'], ['body', 'jsonb']], { onConflict: 'ON CONFLICT (alert_id) DO UPDATE SET body = excluded.body' }))
  }

  record(d: Delivery): void {
    this.insertDelivery([d.alertId, d.at, d.step, d.firing, d.channel, text(d.to), d.status, text(d.error)])
  }

  async forAlert(alertId: string): Promise<Delivery[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<DeliveryRow>('SELECT * FROM notify_deliveries WHERE alert_id = $1 ORDER BY at, id', [alertId])
    return rows.map(toDelivery)
  }

  savePlan(p: PlanState): void {
    this.queuePlan(p.alert.id, structuredClone(p))
  }

  dropPlan(alertId: string): void {
    this.queuePlan(alertId, null)
  }

  async pendingPlans(): Promise<PlanState[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ body: PlanState }>('SELECT body FROM notify_plans WHERE body IS NOT NULL ORDER BY alert_id')
    return rows.map((r) => r.body)
  }

  private queuePlan(alertId: string, state: PlanState | null): void {
    this.planRows.set(alertId, state)
    // The row is built when the batch is cut, from the latest state queued for the alert.
    this.upsertPlan(alertId, () => {
      const s = this.planRows.get(alertId)
      this.planRows.delete(alertId)
      return [alertId, s ? json(s) : null]
    })
  }
}
