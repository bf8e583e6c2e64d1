import type { Logger } from 'pino'
import { createHttpApp } from './adapters/http/app.ts'
import { HttpServerPart } from './adapters/http/http-server.ts'
import { alertRoutes } from './adapters/http/routes/alerts.ts'
import { notifyRoutes } from './adapters/http/routes/notify.ts'
import { ledgerRoutes } from './adapters/http/routes/ledger.ts'
import { inspectionRoutes } from './adapters/http/routes/inspections.ts'
import { drillRoutes } from './adapters/http/routes/drills.ts'
import { reportRoutes } from './adapters/http/routes/report.ts'
import { overviewRoutes } from './adapters/http/routes/overview.ts'
import { stationAdminRoutes } from './adapters/http/routes/station-admin.ts'
import { MqttFrontDoor } from './adapters/mqtt/front-door.ts'
import { openStores } from './wiring/stores.ts'
import { joinCluster, type ClusterLink } from './wiring/cluster/link.ts'
import { ClusterMode } from './wiring/cluster/cluster-mode.ts'
import { ownerRelay } from './adapters/http/owner-relay.ts'
import { WebhookSender } from './adapters/webhook/webhook-sender.ts'
import { DEFAULT_LIVE_PUSH_LIMITS, LivePush } from './adapters/ws/live-push.ts'
import { AlertEngine } from './alerts/alert-engine.ts'
import type { Alert } from './alerts/alert.ts'
import { wireAlertEffects } from './app/alert-effects.ts'
import type { ServiceEvents } from './app/events.ts'
import { healthReport } from './app/health.ts'
import { StatusBoard } from './app/status-board.ts'
import { Accounts } from './auth/accounts.ts'
import { DisplayTokens } from './auth/display-tokens.ts'
import { Principals } from './auth/principals.ts'
import { LoginThrottle } from './auth/login-throttle.ts'
import { clusterOf, parseEnv, type Env } from './config/env.ts'
import { loadNotifyConfig } from './config/notify-config.ts'
import { loadTlsPair } from './config/tls.ts'
import { Fleet } from './domain/fleet.ts'
import { EventHub } from './event-hub.ts'
import { Ingest } from './ingest/ingest.ts'
import { Lifecycle } from './lifecycle.ts'
import { createMetrics } from './observability/metrics.ts'
import { systemClock, systemTimers, type Clock, type ReadingStore, type Timers } from './ports.ts'
import { warnAboutDemoSecrets } from './wiring/demo-secrets.ts'
import { EXPIRY_RULES, LEDGER_STOCK_RULES, ledgerPart } from './wiring/ledger.ts'
import { createLogs } from './wiring/logs.ts'
import { ledgerWorkbook, monthlyReportWorkbook } from './wiring/workbooks.ts'
import { notifierOf } from './wiring/notify.ts'
import { loadCatalogue, stationFilesWatch, wireCatalogue } from './wiring/catalogue.ts'
import { withoutDisabledDevices } from './domain/station.ts'
import { routine as routineOf } from './wiring/routine.ts'

export interface ServiceOptions {
  env: Record<string, string | undefined>
  logger?: Logger
  clock?: Clock
  timers?: Timers
  /**
   * The store can no longer commit (a full or failing disk): nothing more is acknowledged, and
   * the process should stop so that its supervisor restarts it (main.ts exits 1).
   */
  onFatal?: (err: Error) => void
}

export interface RunningService {
  mqttPort: number
  httpPort: number
  /** the MQTT-over-TLS port, when MQTT_TLS_CERT/MQTT_TLS_KEY are set */
  mqttsPort?: number
  /** HTTP_PORT serves HTTPS (HTTP_TLS_CERT/HTTP_TLS_KEY are set) */
  https: boolean
  env: Env
  log: Logger
  /** Stops accepting, flushes what is buffered, closes the store. */
  stop(): Promise<void>
}

/**
 * The composition root: builds every part from the configuration, wires them through one event
 * hub, starts them in order and stops them in reverse (docs/architecture.md shows the flow).
 */
export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const env = parseEnv(opts.env)
  const { log, root } = createLogs(env, opts.logger)
  const mqttTls = loadTlsPair(env, 'MQTT_TLS_CERT', 'MQTT_TLS_KEY')
  const httpTls = loadTlsPair(env, 'HTTP_TLS_CERT', 'HTTP_TLS_KEY')
  const clock = opts.clock ?? systemClock
  const timers = opts.timers ?? systemTimers
  const metrics = createMetrics()
  const hub = new EventHub<ServiceEvents>()
  const parts = new Lifecycle(log)
  // Contract v2 A1: nothing answers 200 (HTTP or upgrade) until the administrator is bootstrapped.
  let ready = false

  let accounts: Accounts, mqtt: MqttFrontDoor, http: HttpServerPart, readings: ReadingStore
  let counts = () => ({ stations: 0, devices: 0 })
  try {
    // ---- stores -------------------------------------------------------------------------
    // Cluster mode (contract v2 §F): NATS first, so that it is closed last.
    const clusterEnv = clusterOf(env)
    let link: ClusterLink | undefined
    if (clusterEnv) {
      const joined = (link = await joinCluster({ servers: clusterEnv.natsServers, instance: clusterEnv.instance, log }))
      parts.add({ name: 'nats', stop: () => joined.close() })
    }
    const stores = await openStores(env, { metrics, log, onFatal: (err) => opts.onFatal?.(err) })
    const state = parts.add(stores.state)
    const readingStore = (readings = stores.readings)
    parts.add({ name: 'reading-store', stop: () => readingStore.close() })
    // Stations: the files against what the API stored (contract v2 §E); a bad file or a bad
    // notification file stops start-up before anything listens.
    const catalogue = await loadCatalogue({ stationsPath: env.STATIONS, store: state.stations, hub, clock, log })
    const notifyConfig = loadNotifyConfig(opts.env, catalogue.all().map((s) => s.id))
    warnAboutDemoSecrets(catalogue.all(), log)
    const stations = catalogue.all().map(withoutDisabledDevices)
    counts = () => ({ stations: fleet.stations.size, devices: fleet.deviceCount })
    const fleet = new Fleet(stations)
    // Restored before any part starts: nothing reads or changes the live state until then.
    for (const [id, snap] of await state.records.loadSnapshots()) fleet.stations.get(id)?.restore(snap)

    // ---- the core: ingest, rules, ledger, status ------------------------------------------
    let cluster: ClusterMode | undefined
    // In cluster mode the notifier, like the engine, sends for owned stations only (the ownership adopts and releases).
    const { notifier, health: notifyHealthNow } = notifierOf({ config: notifyConfig, state, station: (id) => catalogue.get(id), fleet, registry: metrics.registry, clock, timers, log, ...(link ? { owns: (s: string) => cluster?.owns(s) ?? false } : {}) })
    const engine: AlertEngine = new AlertEngine({ fleet, store: state.alerts, clock, timers, hub, onSilent: (device) => ingest.markSilent(device), ...(link ? { owns: (s: string) => cluster?.owns(s) ?? false } : {}) })
    const ingest = new Ingest({ fleet, readings, records: state.records, clock, observer: metrics.ingestObserver, hub, openIncident: (s) => engine.openIncident(s)?.id })
    const { ledger, part: ledgerLifecycle } = ledgerPart({ store: state.ledger, stations, clock, timers, seedDir: env.LEDGER_SEED, log })
    const routine = routineOf({ store: state.routine, committed: () => state.committed(), stations, engine, alerts: state.alerts, hub, registry: metrics.registry, clock, timers, movements: (s, from, to) => ledger.movements(s, from, to) })
    const board = new StatusBoard({ fleet, hub, alerts: engine, ledger: (s) => ledger.usable(s), minPushIntervalMs: env.STATUS_PUSH_INTERVAL_MS })
    // Cluster mode: the owner's work for its stations; the others' shown from their fan-out.
    if (link && stores.progress && stores.databaseHealth) {
      // The notifier before the engine (it then holds a station's plans when the engine's adopt changes an alert); the judgements after it.
      const ownerJudgements = { adopt: async (ids: readonly string[]) => void (await Promise.all(ids.flatMap((s) => [ledger.rejudge(s), routine.inspections.reload(s)]))), release: () => undefined }
      const followers = [...(notifier ? [{ station: notifier, beforeEngine: true as const }] : []), { station: ownerJudgements }]
      cluster = new ClusterMode({ link, fleet, ingest, engine, state, readings, progress: stores.progress, board, hub, catalogue, followers, push: () => live, app: () => app, databaseHealth: stores.databaseHealth, log })
    }
    const view = cluster?.view

    // ---- people: accounts, live push, outbound -------------------------------------------
    accounts = new Accounts({
      store: state.accounts,
      sessionTtlMs: env.SESSION_TTL_SECONDS * 1000,
      onSessionsDropped: (username, tokenHashes) => {
        metrics.sessionsDropped.inc(tokenHashes.length)
        live.revokeHashes(tokenHashes)
        log.warn({ user: username, dropped: tokenHashes.length }, 'a user holds too many login sessions: the oldest are ended (counted in stationwatch_sessions_dropped_total)')
      },
    })
    // Contract v2 §E: wall screens' read-only display tokens; both kinds of token resolve in one place.
    const displayTokens = new DisplayTokens(state.displayTokens, () => clock.now())
    const principals = new Principals(accounts, displayTokens)
    const live: LivePush<Alert> = new LivePush<Alert>({
      principals,
      source: view ?? { statuses: () => board.all(), openAlerts: () => engine.openAlerts() },
      stats: { onClients: (n) => metrics.wsClients.set(n), onDropped: (reason) => metrics.wsDropped.inc({ reason }), onRefused: (reason) => metrics.wsRefused.inc({ reason }) },
      log,
      limits: { ...DEFAULT_LIVE_PUSH_LIMITS, https: httpTls !== undefined },
    })
    const webhook = new WebhookSender({
      url: env.WEBHOOK_URL,
      log,
      maxQueue: env.WEBHOOK_QUEUE_MAX,
      observer: { attempt: (ok) => metrics.webhookAttempts.inc({ result: ok ? 'ok' : 'failed' }), dropped: (severity) => metrics.webhookDropped.inc({ severity }), coalesced: () => metrics.webhookCoalesced.inc() },
    })

    // ---- what happens when ------------------------------------------------------------------
    hub.on('stationChanged', (station, result) => (engine.handleChange(station, result), board.touch(station.model.id)))
    hub.on('statusChanged', (status) => live.pushStation(status))
    wireAlertEffects({
      hub, readings, records: state.records, clock, log, push: live, board,
      outbound: [
        { alertChanged: (alert, change, by) => webhook.send({ type: 'alert', change, alert, ...(by ? { by } : {}) }) },
        ...(notifier ? [{ alertChanged: notifier.handleAlertChange.bind(notifier) }] : []),
      ],
    })
    ledger.onJudged((station, judgement) => {
      engine.reconcile(station.id, EXPIRY_RULES, judgement.conditions)
      // Scoped to the items no device reports: a sensed item's stock-low is the engine's own rule's.
      engine.reconcile(station.id, LEDGER_STOCK_RULES, judgement.stockLow, judgement.ledgerSubjects)
      board.touch(station.id)
    })

    wireCatalogue({ hub, fleet, records: state.records, owns: (s) => cluster?.owns(s) ?? true, engine, ledger, routine, board, disconnect: (device) => mqtt.disconnectDevice(device), log })

    // ---- the edge: devices in, people in --------------------------------------------------
    mqtt = new MqttFrontDoor({
      fleet, ingest, log,
      // A PUBACK waits for the reading's store and for the state written with it (the snapshot that
      // holds the duplicate window, the audit event); with the embedded store both are one commit.
      ...(cluster ? { forward: cluster.forward() } : {}),
      gate: { durable: () => Promise.all([readingStore.durable(), state.committed()]).then(() => undefined), position: () => readingStore.position(), kept: (from, to) => readingStore.kept(from, to) },
      maxMessagesPerSecond: env.DEVICE_MAX_MSG_PER_SEC,
      onRefusal: (packet, recorded) => metrics.mqttRefusals.inc({ packet, recorded: String(recorded) }),
      host: env.HOST, port: env.MQTT_PORT, maxPacketBytes: env.MQTT_MAX_PACKET_BYTES,
      ...(mqttTls ? { tls: { ...mqttTls, port: env.MQTTS_PORT } } : {}),
      onOversized: (r) => metrics.mqttPacketsRefused.inc({ transport: r.transport, reason: r.reason }),
    })
    const single = healthReport({
      readings, source: mqtt, alerts: engine, webhook, metrics,
      notify: notifyHealthNow,
    })
    const health = cluster ? () => ({ ...single(), cluster: cluster.health() }) : single
    metrics.onScrape(health)
    const loginThrottle = new LoginThrottle({
      limits: { perUser: env.LOGIN_MAX_FAILURES_PER_USER, perAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS, windowMs: env.LOGIN_WINDOW_SECONDS * 1000, successesPerAddress: env.LOGIN_MAX_SUCCESSES_PER_ADDRESS, successWindowMs: 60_000 },
      now: () => clock.now(),
      onRefused: (scope) => metrics.loginRefused.inc({ scope }),
    })
    const scope = {
      // In cluster mode an alert fanned out a moment ago may not be readable from the store yet.
      alertStation: async (id: string) => view?.stationOfAlert(id) ?? (await state.alerts.getAlert(id))?.station,
      incidentStation: async (id: string) => (await state.alerts.getIncident(id))?.station,
      drillStation: async (id: string) => (await state.routine.drill(id))?.station,
      deviceStation: (id: string) => fleet.device(id)?.station.model.id,
    }
    const app = createHttpApp({
      accounts, principals, displayTokens, fleet, board: view ?? board, readings, records: state.records, registry: metrics.registry, health, log, https: httpTls !== undefined, loginThrottle,
      scope,
      ...(cluster ? { beforeBody: [ownerRelay({ lookups: scope, owns: (s) => cluster.owns(s), relay: (s, req) => cluster.relay(s, req) })] } : {}),
      onLogout: (token) => live.revoke(token), ready: () => ready,
      onRevoked: (what) => ('tokenHash' in what ? live.revokeHashes([what.tokenHash]) : live.endUser(what.user)),
      extra: [alertRoutes(accounts, engine, state.alerts, (id, user, note) => routine.drills.acknowledge(id, user, note)), ledgerRoutes(accounts, ledger, clock, ledgerWorkbook),
        inspectionRoutes(accounts, routine.inspections, () => routine.committed()), drillRoutes(accounts, { ...routine, now: () => clock.now() }),
        reportRoutes(accounts, (s, month) => routine.report(s, month), monthlyReportWorkbook), notifyRoutes(accounts, notifier, state.alerts, notifyConfig), overviewRoutes(accounts, { statuses: () => (view ? view.statuses() : board.all()), unresolvedAlerts: () => (view ?? engine).openAlerts() }),
        stationAdminRoutes(accounts, catalogue)],
    })
    http = new HttpServerPart({
      app, host: env.HOST, port: env.HTTP_PORT, ...(httpTls ? { tls: httpTls } : {}),
      upgrades: { ready: () => ready, '/ws': (req, socket, head) => live.handleUpgrade(req, socket, head), '/mqtt': (req, socket, head) => mqtt.handleUpgrade(req, socket, head) },
    })

    // Started in this order, stopped in reverse: a part is up before anything that feeds it (the
    // notifier before the engine, which may raise alerts as it judges the stored state at start);
    // live push stops before the HTTP server, whose close waits for the upgraded /ws sockets too.
    const filesWatch = stationFilesWatch({ stationsPath: env.STATIONS, catalogue, log })
    // In cluster mode the ownership starts after the engine (it adopts stations into it) and the
    // fan-out view before it, so that no change of another instance is missed.
    const clusterParts = cluster?.parts() ?? []
    for (const part of [...(notifier ? [notifier] : []), engine, ledgerLifecycle, routine.part, board, ...clusterParts, webhook, mqtt, http, live, accounts, filesWatch]) parts.add(part)
    await parts.start()
    mqtt.onClientsChanged(() => metrics.connected.set(mqtt.connectedDevices()))
  } catch (err) {
    await parts.stop()
    throw err
  }

  // Only once start-up can no longer fail (the ports are bound): a generated password is shown
  // exactly once. Then, and only then, the service is ready: health says 200 and logins work.
  const generated = await accounts.bootstrapAdmin(env.ADMIN_USER, env.ADMIN_PASSWORD)
  if (generated) root.warn({ username: env.ADMIN_USER, password: generated }, 'generated the administrator password; it is shown only this once')
  ready = true
  const { mqttPort, mqttsPort } = mqtt.ports()
  const httpPort = http.port
  const https = httpTls !== undefined
  log.info({ mqttPort, ...(mqttsPort !== undefined ? { mqttsPort } : {}), httpPort, https, host: env.HOST, ...counts(), store: readings.kind }, 'listening')

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping: no new connections, flushing')
      await parts.stop()
      log.info('stopped')
    })())
  return { mqttPort, ...(mqttsPort !== undefined ? { mqttsPort } : {}), httpPort, https, env, log, stop }
}
