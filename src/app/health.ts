import type { Metrics } from '../observability/metrics.ts'
import type { IngestSource, ReadingStore } from '../ports.ts'

export interface HealthSources {
  readings: ReadingStore
  source: IngestSource
  alerts: { countsByState(): Record<'active' | 'acknowledged', number>; readonly pendingDeadlines: number }
  webhook: { readonly state: { pending: number; failing: boolean } }
  metrics: Metrics
  /** the notification channels' health, when notifications are configured */
  notify?: (() => { failing: readonly unknown[] }) | undefined
}

/**
 * `GET /api/health` (contract §4): `degraded` while the store is down or spooling, or the webhook
 * or a notification channel is failing. Computing it also refreshes the gauges that mirror live numbers, so a `/metrics`
 * scrape sees the same figures.
 */
export function healthReport({ readings, source, alerts, webhook, metrics, notify }: HealthSources): () => Record<string, unknown> {
  return () => {
    const store = readings.health()
    const clients = source.connectedDevices()
    metrics.connected.set(clients)
    metrics.spool.set(store.spooled)
    const counts = alerts.countsByState()
    metrics.alerts.set({ state: 'active' }, counts.active)
    metrics.alerts.set({ state: 'acknowledged' }, counts.acknowledged)
    metrics.webhookPending.set(webhook.state.pending)
    const channels = notify?.()
    return {
      status: store.ok && store.spooled === 0 && !webhook.state.failing && !channels?.failing.length ? 'ok' : 'degraded',
      mqtt: { clients },
      store: { kind: store.kind, ok: store.ok, spooled: store.spooled, ...(store.error ? { error: store.error } : {}) },
      alerts: { ...counts, pendingDeadlines: alerts.pendingDeadlines },
      webhook: webhook.state,
      ...(channels ? { notify: channels } : {}),
    }
  }
}
