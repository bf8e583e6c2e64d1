import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import type { InspectionService } from '../../../routine/inspections.ts'
import { requireRole } from '../auth-middleware.ts'
import { limitParam, parseRequest } from '../validate.ts'

const resultSchema = z.strictObject({
  ok: z.boolean({ error: 'must be true or false' }),
  note: z.string().trim().max(500, 'must be at most 500 characters').optional(),
})
const runBody = z.strictObject({
  results: z.record(z.string().max(64), resultSchema, { error: 'must be an object of item id → {"ok", "note"?}' }),
})
const runsQuery = z.object({ limit: limitParam(5000, 500) })

/** Contract v2 §D: inspections (巡检) and their runs. A run is committed before it is answered. */
export function inspectionRoutes(accounts: Accounts, inspections: InspectionService, committed: () => Promise<void>): Router {
  const r = Router()
  const viewer = requireRole(accounts, 'viewer')
  const responder = requireRole(accounts, 'responder')
  const staff = requireRole(accounts, 'staff')

  r.get('/api/stations/:id/inspections', viewer, async (req, res) => {
    res.json(await inspections.view(String(req.params.id)))
  })
  r.post('/api/stations/:id/inspections/:inspectionId/runs', responder, async (req, res) => {
    inspections.inspection(String(req.params.id), String(req.params.inspectionId))
    const body = parseRequest(runBody, req.body, 'body')
    const run = inspections.submit(String(req.params.id), String(req.params.inspectionId), body.results, req.user!.name)
    // The run is queued on the state store; answered once it is durable.
    await committed()
    res.status(201).json(run)
  })
  r.get('/api/stations/:id/inspections/:inspectionId/runs', staff, async (req, res) => {
    const q = parseRequest(runsQuery, req.query, 'query')
    res.json(await inspections.runs(String(req.params.id), String(req.params.inspectionId), q.limit))
  })
  return r
}
