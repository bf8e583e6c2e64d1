import type { NextFunction, Request, Response } from 'express'
import type { IncomingMessage } from 'node:http'
import { isForeignOrigin } from '../../edge/origin.ts'
import { AppError } from '../../domain/errors.ts'
import { credentialOf } from '../../edge/credentials.ts'

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
