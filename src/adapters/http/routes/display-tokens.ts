import { Router } from 'express'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import { MAX_DISPLAY_TOKENS, type DisplayTokens } from '../../../auth/display-tokens.ts'
import { AppError } from '../../../domain/errors.ts'
import { requireRole } from '../auth-middleware.ts'
import { parseRequest, stationIdsParam } from '../validate.ts'

export interface DisplayTokenRouteOptions {
  /** the live station set (stations may be added at runtime) */
  isStation: (id: string) => boolean
  /** a token was revoked: its open /ws connections are closed now */
  onRevoked: (tokenHash: string) => void
  /** who made or revoked which token (never the token itself) */
  log: Logger
}

/**
 * Contract v2 §E: read-only, revocable display tokens for wall screens (admin). The token is in the
 * answer to its creation only; lists never show it.
 */
export function displayTokenRoutes(accounts: Accounts, tokens: DisplayTokens, opts: DisplayTokenRouteOptions): Router {
  const r = Router()
  const admin = requireRole(accounts, 'admin')
  const body = z.strictObject({
    name: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    stations: stationIdsParam(opts.isStation).refine((s) => s.length > 0, 'must name at least one station'),
  })

  r.post('/api/display-tokens', admin, (req, res) => {
    const { name, stations } = parseRequest(body, req.body, 'body')
    const made = tokens.create(name, stations, req.user!.name)
    if (!made) throw new AppError('CONFLICT', `at most ${MAX_DISPLAY_TOKENS} display tokens may exist: revoke one first`)
    opts.log.info({ displayToken: { id: made.id, name, stations }, by: req.user!.name }, 'display token created')
    res.status(201).json({ id: made.id, token: made.token, name: made.name, stations: made.stations, createdAt: made.createdAt, createdBy: made.createdBy })
  })
  r.get('/api/display-tokens', admin, (_req, res) => {
    res.json(tokens.list())
  })
  r.delete('/api/display-tokens/:id', admin, (req, res) => {
    const id = String(req.params.id)
    const tokenHash = tokens.revoke(id)
    if (!tokenHash) throw new AppError('NOT_FOUND', `no display token "${id}"`)
    opts.onRevoked(tokenHash)
    opts.log.info({ displayToken: { id }, by: req.user!.name }, 'display token revoked: its /ws connections are closed')
    res.status(204).end()
  })
  return r
}
