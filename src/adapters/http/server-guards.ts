import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { refuseUpgrade } from '../../edge/upgrade-refusal.ts'

/** A client has this long to send a request's headers (slowloris), and this long for the whole request. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000
export const HTTP_REQUEST_TIMEOUT_MS = 30_000
/** An idle keep-alive connection is closed after this long without a request. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000
/**
 * How often Node checks the two timeouts above (its default, 30 s, would let a connection that
 * sends nothing at all live up to 40 s). Passed to createServer.
 */
export const HTTP_SERVER_OPTIONS = { connectionsCheckingInterval: 1000 } as const

/**
 * Every connection the HTTP port accepts has an error path and a time bound: slow headers and slow
 * bodies are cut (Node's own checks, with deliberate numbers; a connection that says nothing at all
 * is cut by the headers timeout), a malformed request or a reset is answered (when still possible) and destroyed, and a TLS
 * connection that fails or resets before its handshake completes is destroyed.
 */
export function guardHttpServer(server: HttpServer | HttpsServer, https: boolean): void {
  server.headersTimeout = HTTP_HEADERS_TIMEOUT_MS
  server.requestTimeout = HTTP_REQUEST_TIMEOUT_MS
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    socket.on('error', () => socket.destroy())
    const w = socket as Duplex & { bytesWritten?: number }
    if (err.code === 'ECONNRESET' || !socket.writable || (w.bytesWritten ?? 0) > 0) return void socket.destroy()
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'
    socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, () => socket.destroy())
    setTimeout(() => socket.destroy(), 1000).unref()
  })
  // Before the handshake completes, errors of a TLS socket are reported here rather than on the socket.
  if (https) server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy())
}

export interface UpgradeRoutes {
  /** false until start-up is complete: upgrades are refused with 503 */
  ready(): boolean
  '/ws'(req: IncomingMessage, socket: Duplex, head: Buffer): void
  '/mqtt'(req: IncomingMessage, socket: Duplex, head: Buffer): void
}

/** Routes WebSocket upgrades by path; every refusal goes through refuseUpgrade. */
export function routeUpgrades(server: HttpServer | HttpsServer, routes: UpgradeRoutes): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until a route's WebSocket library takes the socket over, a reset must not be unhandled.
    socket.on('error', () => socket.destroy())
    if (!routes.ready()) return refuseUpgrade(socket, 503, 'STARTING', 'the service is starting', { 'Retry-After': '1' })
    const path = (req.url ?? '').split('?')[0]
    if (path === '/ws' || path === '/mqtt') return routes[path](req, socket, head)
    refuseUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${JSON.stringify(path?.slice(0, 128))}`)
  })
}
