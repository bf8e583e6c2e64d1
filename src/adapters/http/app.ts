import express, { type Express, type RequestHandler } from 'express'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Accounts } from '../../auth/accounts.ts'
import type { DisplayTokens } from '../../auth/display-tokens.ts'
import type { LoginThrottle } from '../../auth/login-throttle.ts'
import type { Principals } from '../../auth/principals.ts'
import type { StatusBoard } from '../../app/status-board.ts'
import { AppError } from '../../domain/errors.ts'
import type { Fleet } from '../../domain/fleet.ts'
import type { ReadingStore, RecordStore } from '../../ports.ts'
import { authenticate } from './auth-middleware.ts'
import { errorHandler, redactUrl } from './error-handler.ts'
import { cookieRequestGuard } from './origin.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { displayTokenRoutes } from './routes/display-tokens.ts'
import { scopeGuard, type ScopeLookups } from './scope-guard.ts'
import { stationRoutes } from './routes/stations.ts'
import { securityHeaders } from './security-headers.ts'

export interface HttpDeps {
  accounts: Accounts
  /** every token (session or display token) becomes a principal here (also for the /wall page's `?token=`) */
  principals: Principals
  displayTokens: DisplayTokens
  /** which station an alert, incident, drill or device named in a path belongs to (station scope) */
  scope: ScopeLookups
  fleet: Fleet
  /** the stations' statuses (in cluster mode those owned elsewhere come from their owners' fan-out) */
  board: Pick<StatusBoard, 'all' | 'status'>
  readings: ReadingStore
  records: RecordStore
  registry: Registry
  health: () => unknown
  log: Logger
  /**
   * handlers that see every request once it is authenticated, in scope and past the origin checks,
   * with its body still unread (cluster mode's relay of commands to a station's owner)
   */
  beforeBody?: RequestHandler[]
  /** extra routers (alerts, incidents, dashboard) mounted before the 404 */
  extra?: express.Router[]
  /** served over HTTPS: the session cookie is `Secure`, HSTS is sent */
  https?: boolean
  /** failed-login limits; without one, logins are not throttled */
  loginThrottle?: LoginThrottle
  /** told the token of every logout, so open /ws connections of that session can be closed */
  onLogout?: (token: string) => void
  /** told the hash of a revoked display token, and the name of a user whose role or scope changed: their /ws is closed */
  onRevoked?: (what: { tokenHash: string } | { user: string }) => void
  /**
   * False until start-up is complete (the administrator bootstrapped): until then every request is
   * a 503 and `/api/health` says `{"status":"starting"}` (contract v2 A1). Absent: always ready.
   */
  ready?: () => boolean
}

/** The REST API: thin routes over the services; one error middleware at the end. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(securityHeaders(deps.https ?? false))
  // API answers carry sessions' data: never kept by a browser or a proxy cache.
  app.use('/api', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    next()
  })
  const ready = deps.ready
  if (ready) {
    app.use((req, res, next) => {
      if (ready()) return next()
      res.setHeader('Retry-After', '1')
      if (req.path === '/api/health') return void res.status(503).json({ status: 'starting' })
      next(new AppError('STARTING', 'the service is starting; try again in a moment'))
    })
  }
  app.use(authenticate(deps.principals))
  app.use(scopeGuard(deps.scope))
  app.use(cookieRequestGuard(deps.https ?? false))
  for (const h of deps.beforeBody ?? []) app.use(h)
  app.use(express.json({ limit: '64kb' }))

  app.get('/api/health', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.json(deps.health())
  })
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType)
    res.send(await deps.registry.metrics())
  })
  app.use(authRoutes(deps.accounts, { https: deps.https ?? false, ...(deps.loginThrottle ? { throttle: deps.loginThrottle } : {}), ...(deps.onLogout ? { onLogout: deps.onLogout } : {}) }))
  app.use(stationRoutes(deps))
  const onRevoked = deps.onRevoked ?? (() => undefined)
  const isStation = (id: string) => deps.fleet.stations.has(id)
  app.use(adminRoutes(deps.accounts, deps.records, { isStation, stationOfDevice: (d) => deps.fleet.device(d)?.station.model.id, onUserChanged: (user) => onRevoked({ user }) }))
  app.use(displayTokenRoutes(deps.accounts, deps.displayTokens, { isStation, onRevoked: (tokenHash) => onRevoked({ tokenHash }), log: deps.log }))
  for (const r of deps.extra ?? []) app.use(r)
  app.use('/api', (req, _res, next) => next(new AppError('NOT_FOUND', `no route ${req.method} ${redactUrl(req.originalUrl)}`)))
  // The dashboard: static files, no build step; it talks to the API and /ws like any client.
  app.use('/vendor/uplot', express.static(fileURLToPath(new URL('../../../node_modules/uplot/dist', import.meta.url)), { maxAge: '1d' }))
  const dashboard = fileURLToPath(new URL('../../../dashboards/web', import.meta.url))
  // The wall screen (contract v2 §E): one page for /wall?district=… and /wall/<station>; it reads
  // which from its own URL, and its data (with the token in that URL) from the API and /ws.
  // Its URL may carry a display token: the page is not kept by browsers or proxies either.
  app.get(['/wall', '/wall/:stationId'], (_req, res, next) => res.sendFile('wall.html', { root: dashboard, cacheControl: false, headers: { 'Cache-Control': 'no-store' } }, (err) => err && next(err)))
  app.use(express.static(dashboard, { index: 'index.html', maxAge: 0 }))
  app.use(errorHandler(deps.log))
  return app
}
