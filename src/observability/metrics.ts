import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { IngestObserver, RejectKind } from '../ingest/ingest.ts'

/** Everything /metrics exposes; one registry per service instance so tests can run several. */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'stationwatch_process_' })
  const accepted = new Counter({ name: 'stationwatch_messages_accepted_total', help: 'Device messages accepted', labelNames: ['topic'] as const, registers: [registry] })
  const rejected = new Counter({ name: 'stationwatch_messages_rejected_total', help: 'Device messages refused, by reason', labelNames: ['reason'] as const, registers: [registry] })
  const connected = new Gauge({ name: 'stationwatch_connected_devices', help: 'Devices connected to the MQTT broker', registers: [registry] })
  const alerts = new Gauge({ name: 'stationwatch_alerts', help: 'Alerts by state', labelNames: ['state'] as const, registers: [registry] })
  const storeWrite = new Histogram({
    name: 'stationwatch_store_write_seconds',
    help: 'Time to write one batch to the store',
    labelNames: ['store'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const storeBatch = new Histogram({ name: 'stationwatch_store_batch_points', help: 'Rows per store write batch', labelNames: ['store'] as const, buckets: [1, 10, 100, 1000, 5000, 10000], registers: [registry] })
  const spool = new Gauge({ name: 'stationwatch_spool_depth', help: 'Readings waiting in the spool for the store', registers: [registry] })
  const wsClients = new Gauge({ name: 'stationwatch_ws_clients', help: 'Live push clients connected to /ws', registers: [registry] })
  const wsDropped = new Counter({ name: 'stationwatch_ws_clients_dropped_total', help: 'Live push clients dropped for being slow or unresponsive', labelNames: ['reason'] as const, registers: [registry] })
  const wsRefused = new Counter({ name: 'stationwatch_ws_refused_total', help: 'Upgrades to /ws refused, by reason (unauthenticated, origin, per-session and per-address caps)', labelNames: ['reason'] as const, registers: [registry] })
  for (const reason of ['unauthenticated', 'origin', 'per-session', 'per-address']) wsRefused.inc({ reason }, 0)
  const loginRefused = new Counter({ name: 'stationwatch_login_refused_total', help: 'Login attempts refused with 429, by limit (user: failures of a user from one address; address: failures from one address; successes: logins from one address)', labelNames: ['scope'] as const, registers: [registry] })
  for (const scope of ['user', 'address', 'successes']) loginRefused.inc({ scope }, 0)
  const sessionsDropped = new Counter({ name: 'stationwatch_sessions_dropped_total', help: 'Login sessions dropped because their user held more than 50 (oldest first)', registers: [registry] })
  const mqttPacketsRefused = new Counter({ name: 'stationwatch_mqtt_packets_refused_total', help: 'MQTT connections closed for a packet over MQTT_MAX_PACKET_BYTES (or a malformed length), by transport and reason', labelNames: ['transport', 'reason'] as const, registers: [registry] })
  for (const transport of ['tcp', 'ws']) mqttPacketsRefused.inc({ transport, reason: 'too-large' }, 0)
  const mqttRefusals = new Counter({ name: 'stationwatch_mqtt_refusals_total', help: 'Refused MQTT CONNECTs and SUBSCRIBEs, by packet and whether they were recorded (logged, reject row) or, past the per-device/per-address bound, only counted', labelNames: ['packet', 'recorded'] as const, registers: [registry] })
  for (const packet of ['connect', 'subscribe']) for (const recorded of ['true', 'false']) mqttRefusals.inc({ packet, recorded }, 0)

  const webhookAttempts = new Counter({ name: 'stationwatch_webhook_attempts_total', help: 'Webhook deliveries attempted, by result', labelNames: ['result'] as const, registers: [registry] })
  const webhookPending = new Gauge({ name: 'stationwatch_webhook_pending', help: 'Alert changes waiting for the webhook', registers: [registry] })
  const webhookDropped = new Counter({ name: 'stationwatch_webhook_dropped_total', help: 'Alert changes the full webhook queue dropped, by severity (info first, then warning; never critical)', labelNames: ['severity'] as const, registers: [registry] })
  const webhookCoalesced = new Counter({ name: 'stationwatch_webhook_coalesced_total', help: 'Waiting alert changes the full webhook queue replaced by a later change of the same alert', registers: [registry] })
  for (const severity of ['info', 'warning']) webhookDropped.inc({ severity }, 0)
  webhookCoalesced.inc(0)
  const scrapeHooks: (() => void)[] = []
  // Gauges that mirror live numbers are refreshed when scraped.
  new Gauge({ name: 'stationwatch_up', help: '1 while the service runs', registers: [registry], collect() { for (const h of scrapeHooks) h(); this.set(1) } })

  // Every reason appears from the start, at zero, so dashboards and alerts can rely on it.
  for (const r of ['acl', 'too-large', 'not-json', 'invalid', 'duplicate', 'out-of-order', 'rate-limited'] satisfies RejectKind[]) rejected.inc({ reason: r }, 0)
  for (const t of ['state', 'status']) accepted.inc({ topic: t }, 0)
  for (const s of ['active', 'acknowledged', 'resolved']) alerts.set({ state: s }, 0)

  const ingestObserver: IngestObserver = {
    accepted: (topic) => accepted.inc({ topic }),
    rejected: (reason) => rejected.inc({ reason }),
  }
  for (const r of ['ok', 'failed']) webhookAttempts.inc({ result: r }, 0)
  const onScrape = (hook: () => void) => scrapeHooks.push(hook)
  return { registry, ingestObserver, webhookAttempts, webhookPending, webhookDropped, webhookCoalesced, onScrape, accepted, rejected, connected, alerts, storeWrite, storeBatch, spool, wsClients, wsDropped, wsRefused, loginRefused, sessionsDropped, mqttPacketsRefused, mqttRefusals }
}

export type Metrics = ReturnType<typeof createMetrics>

/**
 * Metrics of the InfluxDB store beyond the shared ones (spool size and limit, readings that
 * could not be kept), registered on the service's registry when INFLUX_URL is set.
 */
export function createInfluxStoreMetrics(registry: Registry) {
  const spoolBytes = new Gauge({ name: 'stationwatch_spool_bytes', help: 'Bytes of readings in the spool not yet written to the store', registers: [registry] })
  const spoolLimit = new Gauge({ name: 'stationwatch_spool_limit_bytes', help: 'Size limit of the spool (INFLUX_SPOOL_MAX_MB)', registers: [registry] })
  const spoolOverLimit = new Gauge({ name: 'stationwatch_spool_over_limit', help: '1 while the spool is at its size limit and readings are being dropped', registers: [registry] })
  const dropped = new Counter({
    name: 'stationwatch_store_dropped_points_total',
    help: 'Readings that will never reach the store, by reason (spool-full, spool-unwritable, spool-corrupt, rejected, invalid, closed)',
    labelNames: ['store', 'reason'] as const,
    registers: [registry],
  })
  const writeErrors = new Counter({ name: 'stationwatch_store_write_errors_total', help: 'Failed store writes, by kind', labelNames: ['store', 'kind'] as const, registers: [registry] })
  for (const reason of ['spool-full', 'spool-unwritable', 'spool-corrupt', 'rejected', 'invalid', 'closed']) dropped.inc({ store: 'influx', reason }, 0)
  for (const kind of ['retry', 'missing-database', 'rejected']) writeErrors.inc({ store: 'influx', kind }, 0)
  spoolOverLimit.set(0)
  spoolBytes.set(0)
  return { spoolBytes, spoolLimit, spoolOverLimit, dropped, writeErrors }
}
