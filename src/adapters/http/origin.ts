import type { NextFunction, Request, Response } from 'express'
import type { IncomingMessage } from 'node:http'
import { AppError } from '../../domain/errors.ts'
import { credentialOf } from './auth-middleware.ts'

/**
 * Contract v2 A4. A browser sends the session cookie to this service whatever page asks, so a
 * request that rides the cookie is only taken from the service's own pages: its `Origin`, when
 * present, must be this service's origin — the request's Host with the scheme this port serves.
 * (A browser always sends `Origin` on WebSocket upgrades and on cross-origin POSTs.)
 *
 * Behind a reverse proxy the public host and scheme arrive as `X-Forwarded-Host`/`-Proto`; they are
 * accepted as well. That opens nothing: a page elsewhere cannot make a browser send those headers
 * (not on a WebSocket, and not on a cross-origin request without a CORS preflight this service
 * never grants), and a client that is not a browser has no one's cookie to ride.
 */
export function isForeignOrigin(req: IncomingMessage, https: boolean): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return false
  let seen: string
  try {
    seen = new URL(origin).origin // normalises case and default ports (http://h:80 is http://h)
  } catch {
    return true // garbage
  }
  if (seen === 'null') return true // sandboxed pages, file:
  const hosts = [req.headers.host, first(req.headers['x-forwarded-host'])].filter((h): h is string => !!h)
  const schemes = [https ? 'https' : 'http', first(req.headers['x-forwarded-proto'])].filter((p): p is string => p === 'http' || p === 'https')
  for (const host of hosts) {
    for (const scheme of schemes) {
      try {
        if (new URL(`${scheme}://${host}`).origin === seen) return false
      } catch {
        // a malformed Host cannot be ours
      }
    }
  }
  return true
}

/** The first value of a header that proxies may have appended to (`a, b`). */
function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v
  return s?.split(',')[0]?.trim().toLowerCase() || undefined
}

/** True when the request is authenticated (or would be) by the session cookie rather than a bearer token. */
export function ridesCookie(req: IncomingMessage): boolean {
  return credentialOf(req)?.via === 'cookie'
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * For cookie-carrying state-changing `/api` requests: a foreign `Origin` is a 403, and a body must
 * be declared `application/json` (415 naming the header otherwise; any other declared type is a 415
 * even with an empty body) — HTML forms and `no-cors` fetches cannot send that type, so a page
 * elsewhere cannot forge one even where no Origin is sent.
 * Bearer-token requests are not touched: no browser attaches a bearer token on its own.
 */
export function cookieRequestGuard(https: boolean) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || !req.path.startsWith('/api/') || !ridesCookie(req)) return next()
    if (isForeignOrigin(req, https)) return next(new AppError('FORBIDDEN', `Origin ${JSON.stringify(req.headers.origin)} is not this service's origin: cookie-authenticated requests are taken only from the service's own pages`))
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    // A request without a body (a logout, a close) needs no type: no form can send one without a type.
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
    if (type !== 'application/json' && (type !== '' || hasBody)) return next(new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type: must be application/json for a ${req.method} with the session cookie (got ${type ? JSON.stringify(type) : 'none'})`))
    next()
  }
}
