import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import { roleSchema } from '../../../auth/roles.ts'
import { canSee } from '../../../auth/station-scope.ts'
import { AppError } from '../../../domain/errors.ts'
import type { RecordStore } from '../../../ports.ts'
import { requireRole } from '../auth-middleware.ts'
import { limitParam, parseRequest, stationIdsParam } from '../validate.ts'

const username = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1-64 letters, digits, or . _ @ -')
const password = z.string().min(8, 'must be at least 8 characters').max(256)

export interface AdminRouteOptions {
  /** the live station set (stations may be added at runtime) */
  isStation: (id: string) => boolean
  stationOfDevice: (device: string) => string | undefined
  /** a user's role or station scope changed: their open /ws connections are closed (they reconnect with the new one) */
  onUserChanged: (username: string) => void
}

export function adminRoutes(accounts: Accounts, records: RecordStore, opts: AdminRouteOptions): Router {
  const r = Router()
  const admin = requireRole(accounts, 'admin')
  const stations = stationIdsParam(opts.isStation)
  // `stations` absent (or null when editing): every station, including ones added later.
  const newUser = z.object({ username, password, role: roleSchema, stations: stations.optional() })
  const userChange = z.strictObject({ password: password.optional(), role: roleSchema.optional(), stations: stations.nullable().optional() })

  r.get('/api/rejects', admin, async (req, res) => {
    const { limit } = parseRequest(z.object({ limit: limitParam(10_000, 100) }), req.query, 'query')
    await records.flush()
    // A scoped administrator sees the rejects of their stations' devices only.
    const rows = records.queryRejects(limit)
    res.json(req.user!.stations ? rows.filter((row) => canSee(req.user, opts.stationOfDevice(row.device) ?? '')) : rows)
  })

  r.post('/api/users', admin, async (req, res) => {
    const body = parseRequest(newUser, req.body, 'body')
    const user = await accounts.createUser(body.username, body.password, body.role, body.stations)
    if (!user) throw new AppError('USER_EXISTS', `body.username: user "${body.username}" already exists`)
    res.status(201).json(user)
  })

  r.patch('/api/users/:username', admin, async (req, res) => {
    const name = String(req.params.username)
    const change = parseRequest(userChange, req.body, 'body')
    const user = await accounts.editUser(name, change)
    if (!user) throw new AppError('NOT_FOUND', `no user "${name}"`)
    if (change.role !== undefined || change.stations !== undefined) opts.onUserChanged(name)
    res.json(user)
  })

  r.get('/api/users', admin, (_req, res) => {
    res.json(accounts.list())
  })
  return r
}
