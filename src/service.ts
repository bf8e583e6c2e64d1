import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo, Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { fileURLToPath } from 'node:url'
import pino, { type Logger } from 'pino'
import { createWebSocketStream, WebSocketServer } from 'ws'
import { BatchWriter } from './adapters/embedded/batch-writer.ts'
import { openDatabase } from './adapters/embedded/database.ts'
import { EmbeddedRecordStore } from './adapters/embedded/record-store.ts'
import { EmbeddedAlertStore } from './adapters/embedded/embedded-alert-store.ts'
import { createHttpApp } from './adapters/http/app.ts'
import { offersMqttSubprotocol, refuseUpgrade } from './adapters/http/upgrade.ts'
import { guardHttpServer, HTTP_SERVER_OPTIONS, routeUpgrades } from './adapters/http/server-guards.ts'
import { alertRoutes } from './adapters/http/routes/alerts.ts'
import { notifyRoutes } from './adapters/http/routes/notify.ts'
import { createChannels } from './adapters/notify/create-channels.ts'
import { SqliteNotificationLog } from './adapters/embedded/notification-log.ts'
import { keyHolderFrom, stationInfoFrom } from './app/notify-context.ts'
import { loadNotifyConfig } from './config/notify-config.ts'
import { Notifier } from './notify/notifier.ts'
import { createNotifyMetrics, notifyHealth } from './observability/notify-metrics.ts'
import { WebhookSender } from './adapters/webhook/webhook-sender.ts'
import { AlertEngine } from './alerts/alert-engine.ts'
import type { Alert, AlertChange } from './alerts/alert.ts'
import { createMqttBroker } from './adapters/mqtt/broker.ts'
import { guardMqttConnection, guardMqttServer, type RefusedPacket } from './adapters/mqtt/packet-size-guard.ts'
import { createReadingStore } from './adapters/reading-store-factory.ts'
import { DEFAULT_LIVE_PUSH_LIMITS, LivePush } from './adapters/ws/live-push.ts'
import { StatusBoard } from './app/status-board.ts'
import { startLedger } from './app/ledger-wiring.ts'
import { Accounts } from './auth/accounts.ts'
import { LoginThrottle } from './auth/login-throttle.ts'
import { verifySecret } from './auth/secret-hash.ts'
import { ConfigError, parseEnv, type Env } from './config/env.ts'
import { loadStations } from './config/stations.ts'
import { loadTlsPair } from './config/tls.ts'
import { Fleet } from './domain/fleet.ts'
import type { StationConfig } from './domain/station.ts'
import { Ingest } from './ingest/ingest.ts'
import { createMetrics } from './observability/metrics.ts'
import { systemClock, systemTimers, type Clock, type Point, type Timers } from './ports.ts'
import type { AuditEvent } from './domain/audit-event.ts'

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

const DEMO_SECRETS = fileURLToPath(new URL('../simulator/demo-secrets.json', import.meta.url))

/** The composition root: config → store → domain → ingest → broker, HTTP and live push. */
export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const env = parseEnv(opts.env)
  const rootLog = opts.logger ?? pino({ level: env.LOG_LEVEL, base: { service: 'stationwatch' } })
  // Credentials never reach the log; only the one line that shows a generated password uses rootLog.
  const log = rootLog.child({}, { redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } })
  const mqttTls = loadTlsPair(env, 'MQTT_TLS_CERT', 'MQTT_TLS_KEY')
  const httpTls = loadTlsPair(env, 'HTTP_TLS_CERT', 'HTTP_TLS_KEY')
  const clock = opts.clock ?? systemClock
  const { stations } = loadStations(env.STATIONS)
  const notifyConfig = loadNotifyConfig(opts.env, stations.map((s) => s.id)) // notifications (issue 15): a bad file stops start-up before anything opens
  warnAboutDemoSecrets(stations, log)

  const metrics = createMetrics()
  const db = openDatabase(env.DATA_DIR)
  const writer = new BatchWriter(db)
  writer.onCommit = (ms, rows) => {
    metrics.storeWrite.observe({ store: 'embedded' }, ms / 1000)
    metrics.storeBatch.observe({ store: 'embedded' }, rows)
  }
  writer.onFailure = (err) => {
    log.fatal({ err }, 'the store cannot commit: no more readings are acknowledged')
    opts.onFatal?.(err)
  }
  const records = new EmbeddedRecordStore(db, writer)
  const readings = await createReadingStore(env, { db, writer, metrics, log })
  const sessionCapLogged = new Set<string>() // users are few: said once per user
  const accounts = new Accounts(db, env.SESSION_TTL_SECONDS * 1000, (username, tokenHashes) => {
    metrics.sessionsDropped.inc(tokenHashes.length)
    live.revokeHashes(tokenHashes)
    if (sessionCapLogged.has(username)) return
    sessionCapLogged.add(username)
    log.warn({ user: username, dropped: tokenHashes.length }, 'a user holds too many login sessions: the oldest are ended (counted in stationwatch_sessions_dropped_total)')
  })

  const fleet = new Fleet(stations)
  const snapshots = records.loadSnapshots()
  for (const [id, snap] of snapshots) fleet.stations.get(id)?.restore(snap)

  const ingest = new Ingest(fleet, readings, records, clock, metrics.ingestObserver)
  const board = new StatusBoard(fleet, env.STATUS_PUSH_INTERVAL_MS)
  const alertStore = new EmbeddedAlertStore(db, writer)
  const engine = new AlertEngine(fleet, alertStore, clock, opts.timers ?? systemTimers, (device) => ingest.markSilent(device))
  board.useAlerts({
    forcedDoors: (s) => engine.forcedDoors(s),
    unresolvedCount: (s) => engine.unresolvedCount(s),
    openIncident: (s) => engine.openIncident(s),
  })
  ingest.annotate = (station, events) => {
    const incident = engine.openIncident(station.model.id)
    if (incident) for (const e of events) if (!e.kind.startsWith('device-')) e.incident = incident.id
  }
  ingest.onChange((station, result) => {
    engine.handleChange(station, result)
    board.touch(station.model.id)
  })

  // A PUBACK waits for the reading's store and for the records written with it (the snapshot that
  // holds the duplicate window, the audit event); with the embedded store both are one commit.
  const durable = () => Promise.all([readings.durable(), writer.committed()]).then(() => undefined)
  const broker = await createMqttBroker(fleet, ingest, durable, log, { maxMessagesPerSecond: env.DEVICE_MAX_MSG_PER_SEC })
  // aedes buffers a packet whole before looking at it: refuse oversized ones at their header.
  const packetGuard = {
    maxPacketBytes: env.MQTT_MAX_PACKET_BYTES,
    onRefused: (r: RefusedPacket) => {
      metrics.mqttPacketsRefused.inc({ transport: r.transport, reason: r.reason })
      log.warn({ device: r.username ?? null, clientId: r.clientId ?? null, remote: r.remoteAddress, transport: r.transport, packetType: r.packetType, declared: r.declared, limit: r.limit }, 'mqtt packet over the size limit: connection closed')
    },
  }
  guardMqttServer(broker.server, broker.aedes.handle, packetGuard)
  const live = new LivePush<Alert>(accounts, { statuses: () => board.all(), openAlerts: () => engine.openAlerts() }, {
    onClients: (n) => metrics.wsClients.set(n),
    onDropped: (reason) => metrics.wsDropped.inc({ reason }),
    onRefused: (reason) => metrics.wsRefused.inc({ reason }),
  }, log, { ...DEFAULT_LIVE_PUSH_LIMITS, https: httpTls !== undefined })
  board.onStatus((s) => live.pushStation(s))

  const webhook = new WebhookSender(
    env.WEBHOOK_URL,
    log,
    {
      attempt: (ok) => metrics.webhookAttempts.inc({ result: ok ? 'ok' : 'failed' }),
      dropped: (severity) => metrics.webhookDropped.inc({ severity }),
      coalesced: () => metrics.webhookCoalesced.inc(),
    },
    env.WEBHOOK_QUEUE_MAX,
  )
  // ---- notifications (issue 15, contract v2 §B): channels, delivery log, notifier; its routes and health ----
  const notifyMetrics = createNotifyMetrics(metrics.registry, notifyConfig ? [...notifyConfig.channels.keys()] : [])
  const notifier = notifyConfig
    ? new Notifier({
        config: notifyConfig,
        channels: createChannels(notifyConfig, clock),
        clock,
        timers: opts.timers ?? systemTimers,
        deliveries: new SqliteNotificationLog(db, writer),
        station: stationInfoFrom(stations),
        keyHolder: keyHolderFrom(fleet),
        currentAlert: (id) => alertStore.getAlert(id),
        onDelivery: notifyMetrics.delivered,
        log,
      })
    : undefined
  notifier?.start()
  const notifyRouter = notifyRoutes(accounts, notifier, alertStore, notifyConfig)
  const notifyHealthNow = () => {
    if (!notifier) return undefined
    const h = notifyHealth(notifier)
    notifyMetrics.observe(h)
    return h
  }
  // ---- end of the notifications block ----
  engine.onAlert((alert, change, by) => {
    const t = clock.now()
    readings.write([alertPoint(alert, t)])
    records.appendEvents([alertEvent(alert, change, t, by)])
    live.pushAlert(alert)
    webhook.send({ type: 'alert', change, alert, ...(by ? { by } : {}) })
    notifier?.handleAlertChange(alert, change, by) // notifications (issue 15)
    board.touch(alert.station)
    log.info({ alert: alert.id, station: alert.station, rule: alert.rule, subject: alert.subject, change, by }, `alert ${change}`)
  })
  engine.onIncident((incident, change) => {
    const closed = change === 'closed'
    records.appendEvents([
      {
        t: closed ? incident.closedAt! : incident.openedAt,
        station: incident.station,
        kind: closed ? 'incident-closed' : 'incident-opened',
        subject: `incident:${incident.id}`,
        device: '',
        user: closed ? incident.closedBy! : incident.openedBy,
        value: incident.id,
        ...(incident.note && !closed ? { detail: incident.note } : {}),
        incident: incident.id,
      },
    ])
    board.touch(incident.station)
  })
  engine.start()

  // ---- the station ledger (issue 16, contract v2 §C): store, expiry alerts, status, routes ----
  const ledgerWiring = startLedger({ db, stations, engine, board, accounts, clock, timers: opts.timers ?? systemTimers, seedDir: opts.env.LEDGER_SEED, log })
  // ---- end of the ledger block ----

  const health = () => {
    const store = readings.health()
    metrics.connected.set(broker.connectedDevices())
    metrics.spool.set(store.spooled)
    const counts = engine.countsByState()
    metrics.alerts.set({ state: 'active' }, counts.active)
    metrics.alerts.set({ state: 'acknowledged' }, counts.acknowledged)
    metrics.webhookPending.set(webhook.state.pending)
    const notify = notifyHealthNow() // notifications (issue 15)
    return {
      status: store.ok && store.spooled === 0 && !webhook.state.failing && !notify?.failing.length ? 'ok' : 'degraded',
      mqtt: { clients: broker.connectedDevices() },
      store: { kind: store.kind, ok: store.ok, spooled: store.spooled, ...(store.error ? { error: store.error } : {}) },
      alerts: { ...counts, pendingDeadlines: engine.pendingDeadlines },
      webhook: webhook.state,
      ...(notify ? { notify } : {}),
    }
  }
  metrics.onScrape(health)
  const loginThrottle = new LoginThrottle(
    { perUser: env.LOGIN_MAX_FAILURES_PER_USER, perAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS, windowMs: env.LOGIN_WINDOW_SECONDS * 1000, successesPerAddress: env.LOGIN_MAX_SUCCESSES_PER_ADDRESS, successWindowMs: 60_000 },
    () => clock.now(),
    (scope) => metrics.loginRefused.inc({ scope }),
  )
  // Contract v2 A1: nothing answers 200 (HTTP or upgrade) until the administrator is bootstrapped.
  let ready = false
  const app = createHttpApp({
    accounts, fleet, board, readings, records, registry: metrics.registry, health, log, extra: [alertRoutes(accounts, engine, alertStore), ledgerWiring.router, notifyRouter],
    https: httpTls !== undefined, loginThrottle, onLogout: (token) => live.revoke(token), ready: () => ready,
  })
  const http: HttpServer | HttpsServer = httpTls ? createHttpsServer({ ...httpTls, ...HTTP_SERVER_OPTIONS, handshakeTimeout: 10_000 }, app) : createServer(HTTP_SERVER_OPTIONS, app)
  guardHttpServer(http, httpTls !== undefined)
  const mqtts = mqttTls ? createTlsServer({ ...mqttTls, handshakeTimeout: 10_000 }, broker.aedes.handle) : undefined
  if (mqtts) guardMqttServer(mqtts, broker.aedes.handle, packetGuard)
  // A WebSocket message is buffered whole by ws, so its size is capped too (a few packets' worth).
  const mqttOverWs = new WebSocketServer({ noServer: true, maxPayload: 4 * env.MQTT_MAX_PACKET_BYTES })
  mqttOverWs.on('connection', (socket, req) => {
    // A protocol error (a frame over maxPayload) cuts the connection rather than reading on through a close handshake.
    socket.once('error', () => socket.terminate())
    // The stream re-emits the socket's errors (a reset mid-frame): handled here, whatever aedes does.
    const stream = createWebSocketStream(socket)
    stream.on('error', () => stream.destroy())
    broker.aedes.handle(guardMqttConnection(stream, { ...packetGuard, transport: 'ws', ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}) }) as never, req as never)
  })
  routeUpgrades(http, {
    ready: () => ready,
    '/ws': (req, socket, head) => live.handleUpgrade(req, socket, head),
    '/mqtt': (req, socket, head) => {
      if (!offersMqttSubprotocol(req)) return refuseUpgrade(socket, 400, 'BAD_REQUEST', '/mqtt carries only MQTT: offer the "mqtt" WebSocket subprotocol')
      mqttOverWs.handleUpgrade(req, socket, head, (ws) => mqttOverWs.emit('connection', ws, req))
    },
  })
  // Keep the gauge of connected devices current for /metrics scrapes too.
  broker.aedes.on('client', () => metrics.connected.set(broker.connectedDevices()))
  broker.aedes.on('clientDisconnect', () => metrics.connected.set(broker.connectedDevices()))

  try {
    await listen(broker.server, env.MQTT_PORT, env.HOST, 'MQTT_PORT')
    if (mqtts) await listen(mqtts, env.MQTTS_PORT, env.HOST, 'MQTTS_PORT')
    await listen(http, env.HTTP_PORT, env.HOST, 'HTTP_PORT')
  } catch (err) {
    broker.server.close()
    mqtts?.close()
    http.close()
    await broker.close()
    ledgerWiring.stop()
    await notifier?.stop() // notifications (issue 15)
    await writer.close()
    db.close()
    throw err
  }
  // Only once start-up can no longer fail (the ports are bound): a generated password is shown
  // exactly once. Then, and only then, the service is ready: health says 200 and logins work.
  const generated = await accounts.bootstrapAdmin(env.ADMIN_USER, env.ADMIN_PASSWORD)
  if (generated) rootLog.warn({ username: env.ADMIN_USER, password: generated }, 'generated the administrator password; it is shown only this once')
  ready = true
  accounts.startSweeping()
  const mqttPort = (broker.server.address() as AddressInfo).port
  const httpPort = (http.address() as AddressInfo).port
  const mqttsPort = mqtts ? (mqtts.address() as AddressInfo).port : undefined
  const https = httpTls !== undefined
  log.info({ mqttPort, ...(mqttsPort !== undefined ? { mqttsPort } : {}), httpPort, https, host: env.HOST, stations: stations.length, devices: fleet.deviceCount, store: readings.kind }, 'listening')

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping: no new connections, flushing')
      board.close()
      accounts.stopSweeping()
      live.close()
      mqttOverWs.close()
      await closeServer(http)
      mqtts?.close()
      await broker.close()
      engine.stop()
      ledgerWiring.stop()
      await notifier?.stop() // notifications (issue 15)
      await webhook.stop()
      await readings.close()
      await writer.close()
      db.close()
      log.info('stopped')
    })())
  return { mqttPort, ...(mqttsPort !== undefined ? { mqttsPort } : {}), httpPort, https, env, log, stop }
}

/** Log fields that may hold a credential, at the top level and up to two levels down (pino redact paths). */
const LOG_REDACT_PATHS = ['password', 'secret', 'token', 'authorization', 'cookie', 'adminPassword', 'newPassword'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]).concat([
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers["set-cookie"]',
  'err.body',
])

function alertPoint(a: Alert, t: number): Point {
  return {
    measurement: 'alert',
    t,
    station: a.station,
    subject: `alert:${a.subject}`,
    tags: { station: a.station, rule: a.rule, severity: a.severity },
    fields: { id: a.id, state: a.state, subject: a.subject, escalated: a.escalated },
  }
}

function alertEvent(a: Alert, change: AlertChange, t: number, by: string | undefined): AuditEvent {
  const note = change === 'acknowledged' ? a.ackNote : change === 'resolved' ? a.resolveNote : undefined
  return {
    t,
    station: a.station,
    kind: `alert-${change}`,
    subject: a.subject,
    device: a.subject.startsWith('device:') ? a.subject.slice(7) : '',
    ...(by ? { user: by } : {}),
    value: a.id,
    detail: `${a.rule}: ${a.message}${note ? ` — ${note}` : ''}`,
    ...(a.incident ? { incident: a.incident } : {}),
  }
}

function listen(server: Server | HttpServer, port: number, host: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new ConfigError(`${name}=${port}: cannot listen on ${host}:${port} (${err.code === 'EADDRINUSE' ? 'address already in use' : err.code ?? err.message})`))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Demo secrets are public (they ship with the simulator): say so loudly if they guard real devices. */
function warnAboutDemoSecrets(stations: StationConfig[], log: Logger): void {
  if (!existsSync(DEMO_SECRETS)) return
  let secrets: Record<string, string>
  try {
    secrets = JSON.parse(readFileSync(DEMO_SECRETS, 'utf8')) as Record<string, string>
  } catch {
    return
  }
  const demo = stations.flatMap((s) => s.devices.filter((d) => typeof secrets[d.id] === 'string' && verifySecret(d.secretHash, secrets[d.id]!)).map((d) => d.id))
  if (demo.length) log.warn({ devices: demo }, `${demo.length} device(s) use the public demo secrets from simulator/demo-secrets.json; generate real ones with "npx stationwatch secret" before deploying`)
}
