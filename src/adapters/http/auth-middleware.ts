import type { NextFunction, Request, Response } from 'express'
import type { Accounts, User } from '../../auth/accounts.ts'
import { hasRole, type Role } from '../../auth/roles.ts'
import { AppError } from '../../domain/errors.ts'
import { tokenOf } from '../../edge/credentials.ts'

declare module 'express-serve-static-core' {
  interface Request {
    user?: User
  }
}

/** Routes under /api that need no login. */
const PUBLIC_API = new Set(['/api/health', '/api/auth/login', '/api/auth/logout'])

/**
 * Authenticates every /api request but the public ones before anything else looks
 * at it, so a request without a valid token is a 401 whatever its body.
 */
export function authenticate(accounts: Accounts) {
  // Async: the session is looked up in the state store (express 5 hands a rejection to next).
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/api/') || PUBLIC_API.has(req.path)) return next()
    const token = tokenOf(req)
    const user = token ? await accounts.authenticate(token) : undefined
    if (!user) return next(new AppError('UNAUTHENTICATED', token ? 'invalid or expired token' : 'login required'))
    req.user = user
    next()
  }
}

/** 401 without a valid token, 403 when the user's role is below `role`. */
export function requireRole(accounts: Accounts, role: Role) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    let user = req.user
    if (!user) {
      const token = tokenOf(req)
      user = token ? await accounts.authenticate(token) : undefined
      if (!user) return next(new AppError('UNAUTHENTICATED', token ? 'invalid or expired token' : 'login required'))
      req.user = user
    }
    if (!hasRole(user.role, role)) return next(new AppError('FORBIDDEN', `needs role ${role} (you are ${user.role})`))
    next()
  }
}
