import type { Express } from 'express'
import { createServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { closeServer, listen } from '../../edge/listen.ts'
import type { Part } from '../../lifecycle.ts'
import { guardHttpServer, HTTP_SERVER_OPTIONS, routeUpgrades, type UpgradeRoutes } from './server-guards.ts'

export interface HttpServerOptions {
  app: Express
  host: string
  port: number
  /** HTTPS instead of HTTP on the same port */
  tls?: { cert: Buffer | string; key: Buffer | string }
  /** WebSocket endpoints by path, and whether start-up is complete (until then upgrades get 503) */
  upgrades: UpgradeRoutes
}

/** The HTTP port: the REST API and dashboard (express), `/ws` and `/mqtt`, each connection bounded in time. */
export class HttpServerPart implements Part {
  readonly name = 'http'
  private readonly server: HttpServer | HttpsServer
  private boundPort: number | undefined

  constructor(private readonly opts: HttpServerOptions) {
    this.server = opts.tls ? createHttpsServer({ ...opts.tls, ...HTTP_SERVER_OPTIONS, handshakeTimeout: 10_000 }, opts.app) : createServer(HTTP_SERVER_OPTIONS, opts.app)
    guardHttpServer(this.server, opts.tls !== undefined)
    routeUpgrades(this.server, opts.upgrades)
  }

  async start(): Promise<void> {
    this.boundPort = await listen(this.server, this.opts.port, this.opts.host, 'HTTP_PORT')
  }

  stop(): Promise<void> {
    return closeServer(this.server)
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('the HTTP server has not started')
    return this.boundPort
  }
}
