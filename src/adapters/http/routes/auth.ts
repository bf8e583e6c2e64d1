import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import { AppError } from '../../../domain/errors.ts'
import { requireRole, SESSION_COOKIE, tokenOf } from '../auth-middleware.ts'
import { parseRequest } from '../validate.ts'

const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })

export function authRoutes(accounts: Accounts, secureCookie: boolean): Router {
  const r = Router()
  r.post('/api/auth/login', async (req, res) => {
    const { username, password } = parseRequest(loginBody, req.body, 'body')
    const session = await accounts.login(username, password)
    if (!session) throw new AppError('UNAUTHENTICATED', 'wrong username or password')
    res.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: secureCookie,
      path: '/',
      expires: new Date(session.expiresAt),
    })
    res.json({ token: session.token, expiresAt: session.expiresAt, user: session.user })
  })
  r.post('/api/auth/logout', (req, res) => {
    const token = tokenOf(req)
    if (token) accounts.logout(token)
    res.clearCookie(SESSION_COOKIE, { path: '/' })
    res.status(204).end()
  })
  r.get('/api/auth/me', requireRole(accounts, 'viewer'), (req, res) => {
    res.json({ user: req.user })
  })
  return r
}
