import type { NextFunction, Request, Response } from 'express'
import type { IncomingMessage } from 'node:http'
import type { Accounts, User } from '../../auth/accounts.ts'
import { isDisplayToken } from '../../auth/display-tokens.ts'
import type { Principal, Principals } from '../../auth/principals.ts'
import { hasRole, type Role } from '../../auth/roles.ts'
import { AppError } from '../../domain/errors.ts'
import { credentialOf, tokenOf } from '../../edge/credentials.ts'

declare module 'express-serve-static-core' {
  interface Request {
    user?: User
  }
}

/** Routes under /api that need no login. */
const PUBLIC_API = new Set(['/api/health', '/api/auth/login', '/api/auth/logout'])
const SAFE_METHODS = new Set(['GET', 'HEAD'])

/**
 * Who sent a request: the bearer header, the session cookie, or — on GET/HEAD only, and only for a
 * display token — `?token=` (what a wall-screen URL carries). A login session's token is never
 * taken from a URL. The `/wall` page calls this to check its `?token=`.
 */
export function principalOf(principals: Principals, req: IncomingMessage): Principal | undefined {
  const credential = credentialOf(req, SAFE_METHODS.has(req.method ?? ''))
  if (!credential || (credential.via === 'query' && !isDisplayToken(credential.token))) return undefined
  return principals.resolve(credential.token)
}

/**
 * Authenticates every /api request but the public ones before anything else looks at it, so a
 * request without a valid token is a 401 whatever its body. A display token is read-only: any
 * state-changing request with one is a 403. Express routes paths case-insensitively, so the
 * prefix is compared that way too (`/API/...` reaches the same handlers).
 */
export function authenticate(principals: Principals) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const path = req.path.toLowerCase()
    if (!path.startsWith('/api/') || PUBLIC_API.has(path)) return next()
    const who = principalOf(principals, req)
    if (!who) return next(new AppError('UNAUTHENTICATED', tokenOf(req, true) ? 'invalid or expired token' : 'login required'))
    if (who.user.display !== undefined && !SAFE_METHODS.has(req.method)) return next(new AppError('FORBIDDEN', 'a display token is read-only'))
    req.user = who.user
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
