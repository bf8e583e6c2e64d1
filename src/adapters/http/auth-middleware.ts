import type { NextFunction, Request, Response } from 'express'
import type { IncomingMessage } from 'node:http'
import type { Accounts, User } from '../../auth/accounts.ts'
import { hasRole, type Role } from '../../auth/roles.ts'
import { AppError } from '../../domain/errors.ts'

export const SESSION_COOKIE = 'sw_session'

declare module 'express-serve-static-core' {
  interface Request {
    user?: User
  }
}

/** Bearer header first, then the session cookie; `?token=` only where a header cannot be set (WebSocket). */
export function tokenOf(req: IncomingMessage, allowQuery = false): string | undefined {
  return credentialOf(req, allowQuery)?.token
}

/**
 * The request's token and where it came from. Only the cookie is sent by a browser on its own
 * (to pages of any origin), so only `via: 'cookie'` is subject to the Origin check.
 */
export function credentialOf(req: IncomingMessage, allowQuery = false): { token: string; via: 'bearer' | 'cookie' | 'query' } | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) {
    const token = auth.slice(7).trim()
    return token ? { token, via: 'bearer' } : undefined
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE)
  if (cookie) return { token: cookie, via: 'cookie' }
  if (allowQuery) {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token')
    if (token) return { token, via: 'query' }
  }
  return undefined
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim())
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

/** Routes under /api that need no login. */
const PUBLIC_API = new Set(['/api/health', '/api/auth/login', '/api/auth/logout'])

/**
 * Authenticates every /api request but the public ones before anything else looks
 * at it, so a request without a valid token is a 401 whatever its body.
 */
export function authenticate(accounts: Accounts) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/api/') || PUBLIC_API.has(req.path)) return next()
    const token = tokenOf(req)
    const user = token ? accounts.authenticate(token) : undefined
    if (!user) return next(new AppError('UNAUTHENTICATED', token ? 'invalid or expired token' : 'login required'))
    req.user = user
    next()
  }
}

/** 401 without a valid token, 403 when the user's role is below `role`. */
export function requireRole(accounts: Accounts, role: Role) {
  return (req: Request, _res: Response, next: NextFunction) => {
    let user = req.user
    if (!user) {
      const token = tokenOf(req)
      user = token ? accounts.authenticate(token) : undefined
      if (!user) return next(new AppError('UNAUTHENTICATED', token ? 'invalid or expired token' : 'login required'))
      req.user = user
    }
    if (!hasRole(user.role, role)) return next(new AppError('FORBIDDEN', `needs role ${role} (you are ${user.role})`))
    next()
  }
}
