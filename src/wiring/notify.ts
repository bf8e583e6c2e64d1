import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { createChannels } from '../adapters/notify/create-channels.ts'
import { keyHolderFrom } from '../app/notify-context.ts'
import type { Fleet } from '../domain/fleet.ts'
import type { StationConfig } from '../domain/station.ts'
import type { NotifyConfig } from '../notify/config.ts'
import { Notifier } from '../notify/notifier.ts'
import { createNotifyMetrics, notifyHealth, type NotifyHealth } from '../observability/notify-metrics.ts'
import type { Clock, StateStore, Timers } from '../ports.ts'

/**
 * Notifications (contract v2 §B) when NOTIFY_CONFIG names a file: the channels, the notifier over
 * the state store's delivery log, and its health (which also refreshes its metrics). Without a
 * file there is no notifier, and the metrics list no channel.
 */
export function notifierOf(deps: { config: NotifyConfig | undefined; state: StateStore; /** a station's configuration now (stations change while running: contract v2 §E) */ station: (id: string) => StationConfig | undefined; fleet: Fleet; registry: Registry; clock: Clock; timers: Timers; log: Logger; /** cluster mode: whether this instance owns a station now */ owns?: (station: string) => boolean }): { notifier?: Notifier; health?: () => NotifyHealth } {
  const { config, state } = deps
  const metrics = createNotifyMetrics(deps.registry, config ? [...config.channels.keys()] : [])
  if (!config) return {}
  const notifier = new Notifier({
    config,
    channels: createChannels(config, deps.clock),
    clock: deps.clock,
    timers: deps.timers,
    deliveries: state.deliveries,
    station: (id) => {
      const s = deps.station(id)
      return s ? { name: s.name, timezone: s.timezone } : undefined
    },
    keyHolder: keyHolderFrom(deps.fleet),
    currentAlert: (id) => state.alerts.getAlert(id),
    onDelivery: metrics.delivered,
    log: deps.log,
    ...(deps.owns ? { owns: deps.owns } : {}),
  })
  const health = () => {
    const h = notifyHealth(notifier)
    metrics.observe(h)
    return h
  }
  return { notifier, health }
}
