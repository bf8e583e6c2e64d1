import type { Delivery, DeliveryLog, PlanState } from '../../notify/ports.ts'
import type { BatchWriter } from './batch-writer.ts'
import type { Db } from './database.ts'
import { toDelivery, type DeliveryRow } from '../../storage/state-rows.ts'

// Its own tables, created here so that database.ts stays the store's business.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS notify_deliveries (
  id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL, at INTEGER NOT NULL, step INTEGER NOT NULL, firing INTEGER NOT NULL,
  channel TEXT NOT NULL, recipient TEXT, status TEXT NOT NULL, error TEXT
);
CREATE INDEX IF NOT EXISTS notify_deliveries_alert ON notify_deliveries (alert_id, at);
CREATE TABLE IF NOT EXISTS notify_plans (alert_id TEXT PRIMARY KEY, body TEXT);
`

/**
 * The notifier's delivery log and escalation plans in the service's SQLite file, written through
 * the batch writer like every other table (one ordered stream, never on the event loop). A plan
 * row holds the latest state of the alert's escalation; NULL once it finished or was stopped.
 */
export class SqliteNotificationLog implements DeliveryLog {
  private readonly insertDelivery
  private readonly upsertPlan
  /** the state each plan row gets when the batch is cut; null = finished */
  private readonly planRows = new Map<string, PlanState | null>()

  constructor(
    private readonly db: Db,
    private readonly writer: BatchWriter,
  ) {
    db.exec(SCHEMA)
    this.insertDelivery = writer.table(
      'notify_deliveries',
      'INSERT INTO notify_deliveries (alert_id, at, step, firing, channel, recipient, status, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.upsertPlan = writer.latest('notify_plans', 'INSERT INTO notify_plans (alert_id, body) VALUES (?, ?) ON CONFLICT (alert_id) DO UPDATE SET body = excluded.body')
  }

  record(d: Delivery): void {
    this.insertDelivery([d.alertId, d.at, d.step, d.firing, d.channel, d.to ?? null, d.status, d.error ?? null])
  }

  async forAlert(alertId: string): Promise<Delivery[]> {
    this.writer.flushSync()
    return this.db
      .prepare<[string], DeliveryRow>(
        'SELECT * FROM notify_deliveries WHERE alert_id = ? ORDER BY at, id',
      )
      .all(alertId)
      .map(toDelivery)
  }

  savePlan(p: PlanState): void {
    this.queuePlan(p.alert.id, structuredClone(p))
  }

  dropPlan(alertId: string): void {
    this.queuePlan(alertId, null)
  }

  async pendingPlans(): Promise<PlanState[]> {
    this.writer.flushSync()
    return this.db
      .prepare<[], { body: string }>('SELECT body FROM notify_plans WHERE body IS NOT NULL')
      .all()
      .map((r) => JSON.parse(r.body) as PlanState)
  }

  private queuePlan(alertId: string, state: PlanState | null): void {
    this.planRows.set(alertId, state)
    // The row is built when the batch is cut, from the latest state queued for the alert.
    this.upsertPlan(alertId, () => {
      const s = this.planRows.get(alertId)
      this.planRows.delete(alertId)
      return [alertId, s ? JSON.stringify(s) : null]
    })
  }
}
