import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import { roleSchema } from '../../../auth/roles.ts'
import { AppError } from '../../../domain/errors.ts'
import type { RecordStore } from '../../../ports.ts'
import { requireRole } from '../auth-middleware.ts'
import { limitParam, parseRequest } from '../validate.ts'

const newUser = z.object({
  username: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1-64 letters, digits, or . _ @ -'),
  password: z.string().min(8, 'must be at least 8 characters').max(256),
  role: roleSchema,
})

export function adminRoutes(accounts: Accounts, records: RecordStore): Router {
  const r = Router()
  const admin = requireRole(accounts, 'admin')

  r.get('/api/rejects', admin, async (req, res) => {
    const { limit } = parseRequest(z.object({ limit: limitParam(10_000, 100) }), req.query, 'query')
    await records.flush()
    res.json(await records.queryRejects(limit))
  })

  r.post('/api/users', admin, async (req, res) => {
    const body = parseRequest(newUser, req.body, 'body')
    const user = await accounts.createUser(body.username, body.password, body.role)
    if (!user) throw new AppError('USER_EXISTS', `body.username: user "${body.username}" already exists`)
    res.status(201).json(user)
  })

  r.get('/api/users', admin, async (_req, res) => {
    res.json(await accounts.list())
  })
  return r
}
