import { Router, type CookieOptions, type Request } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import type { LoginThrottle } from '../../../auth/login-throttle.ts'
import { AppError } from '../../../domain/errors.ts'
import { SESSION_COOKIE, tokenOf } from '../../../edge/credentials.ts'
import { requireRole } from '../auth-middleware.ts'
import { parseRequest } from '../validate.ts'

const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })

export interface AuthRouteOptions {
  /** served over HTTPS: the cookie gets `Secure` */
  https: boolean
  throttle?: LoginThrottle
  onLogout?: (token: string) => void
}

export function authRoutes(accounts: Accounts, opts: AuthRouteOptions): Router {
  const r = Router()
  const cookieOptions = (req: Request): CookieOptions => ({ httpOnly: true, sameSite: 'strict', secure: opts.https || req.secure, path: '/' })

  r.post('/api/auth/login', async (req, res) => {
    const { username, password } = parseRequest(loginBody, req.body, 'body')
    const address = req.socket.remoteAddress
    const admission = opts.throttle?.admit(username, address)
    if (admission && !admission.allowed) {
      const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000))
      res.setHeader('Retry-After', String(seconds))
      const what = admission.scope === 'user' ? 'failed logins for this user from this address' : admission.scope === 'address' ? 'failed logins from this address' : 'logins from this address'
      throw new AppError('TOO_MANY_REQUESTS', `too many ${what}; try again in ${seconds} s`)
    }
    const session = await accounts.login(username, password)
    if (!session) throw new AppError('UNAUTHENTICATED', 'wrong username or password')
    opts.throttle?.succeeded(username, address)
    res.cookie(SESSION_COOKIE, session.token, { ...cookieOptions(req), expires: new Date(session.expiresAt) })
    res.json({ token: session.token, expiresAt: session.expiresAt, user: session.user })
  })
  // Ends the session server-side: the token (header or cookie) stops working everywhere, open /ws
  // connections of that session included.
  r.post('/api/auth/logout', (req, res) => {
    const token = tokenOf(req)
    if (token) {
      accounts.logout(token)
      opts.onLogout?.(token)
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req))
    res.status(204).end()
  })
  r.get('/api/auth/me', requireRole(accounts, 'viewer'), (req, res) => {
    res.json({ user: req.user })
  })
  return r
}
