import { Counter, Gauge, type Registry } from 'prom-client'
import type { ChannelStatus, Notifier } from '../notify/notifier.ts'
import type { Delivery } from '../notify/ports.ts'

/** What `/api/health` says about notifications. */
export interface NotifyHealth {
  /** channels whose latest attempt failed */
  failing: string[]
  queued: number
  channels: Record<string, ChannelStatus>
}

/** A channel is failing while its latest error is newer than its latest success. */
export function notifyHealth(notifier: Pick<Notifier, 'status'>): NotifyHealth {
  const channels = notifier.status()
  const failing = Object.entries(channels)
    .filter(([, c]) => c.lastError !== undefined && (c.lastSuccessAt === undefined || c.lastError.at > c.lastSuccessAt))
    .map(([name]) => name)
  const queued = Object.values(channels).reduce((n, c) => n + c.queued, 0)
  return { failing, queued, channels }
}

/**
 * Notification metrics on the service's registry: deliveries by channel and status, and per
 * channel the queued messages and whether it is failing (refreshed when scraped, from `health`).
 */
export function createNotifyMetrics(registry: Registry, channels: readonly string[]) {
  const deliveries = new Counter({ name: 'stationwatch_notifications_total', help: 'Rows of the notification delivery log, by channel and status (sent, failed, held, merged)', labelNames: ['channel', 'status'] as const, registers: [registry] })
  const queued = new Gauge({ name: 'stationwatch_notifications_queued', help: 'Messages waiting to be sent (or retried), by channel', labelNames: ['channel'] as const, registers: [registry] })
  const failing = new Gauge({ name: 'stationwatch_notify_channel_failing', help: '1 while a channel’s latest attempt failed, by channel', labelNames: ['channel'] as const, registers: [registry] })
  // Every series exists from the start, at zero, so alerting rules can rely on them.
  for (const channel of channels) {
    for (const status of ['sent', 'failed', 'held', 'merged']) deliveries.inc({ channel, status }, 0)
    queued.set({ channel }, 0)
    failing.set({ channel }, 0)
  }
  return {
    delivered: (d: Delivery) => deliveries.inc({ channel: d.channel, status: d.status }),
    observe(h: NotifyHealth) {
      for (const [channel, c] of Object.entries(h.channels)) {
        queued.set({ channel }, c.queued)
        failing.set({ channel }, h.failing.includes(channel) ? 1 : 0)
      }
    },
  }
}
