import { Router } from 'express'
import { z } from 'zod'
import type { AlertEngine } from '../../../alerts/alert-engine.ts'
import { publicAlert, type Alert } from '../../../alerts/alert.ts'
import type { AlertStore } from '../../../alerts/alert-store.ts'
import type { Accounts } from '../../../auth/accounts.ts'
import { scopedList } from '../../../auth/station-scope.ts'
import { requireRole } from '../auth-middleware.ts'
import { limitParam, parseRequest } from '../validate.ts'

const listQuery = z.object({
  state: z.enum(['active', 'acknowledged', 'resolved']).optional(),
  station: z.string().max(64).optional(),
  limit: limitParam(10_000, 500),
  /** contract v2 §D: `drill=false` leaves drills out, `drill=true` lists only them */
  drill: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
})
const noteBody = z.object({ note: z.string().max(2000, 'must be at most 2000 characters').optional() }).optional()

/** A drill alert's acknowledgement (each person's is recorded); undefined for any other alert. */
export type DrillAck = (alertId: string, user: string, note?: string) => Alert | undefined

export function alertRoutes(accounts: Accounts, engine: AlertEngine, store: AlertStore, drillAck: DrillAck = () => undefined): Router {
  const r = Router()
  const viewer = requireRole(accounts, 'viewer')
  const responder = requireRole(accounts, 'responder')

  r.get('/api/alerts', viewer, async (req, res) => {
    const q = parseRequest(listQuery, req.query, 'query')
    await store.durable()
    const read = (station: string | undefined) => store.queryAlerts({ limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(station ? { station } : {}), ...(q.drill ? { drill: q.drill === 'true' } : {}) })
    res.json((await scopedList(req.user, { limit: q.limit, ...(q.station ? { station: q.station } : {}) }, read, (a) => a.openedAt)).map(publicAlert))
  })
  // A change is answered once it is committed: an acknowledgement that was answered survives a crash.
  r.post('/api/alerts/:id/ack', responder, async (req, res) => {
    const body = parseRequest(noteBody, req.body, 'body')
    const id = req.params.id as string
    const alert = drillAck(id, req.user!.name, body?.note) ?? engine.acknowledge(id, req.user!.name, body?.note)
    await store.durable()
    res.json(alert)
  })
  r.post('/api/alerts/:id/resolve', responder, async (req, res) => {
    const body = parseRequest(noteBody, req.body, 'body')
    const alert = engine.resolve(req.params.id as string, req.user!.name, body?.note)
    await store.durable()
    res.json(alert)
  })
  r.post('/api/stations/:id/incidents', responder, async (req, res) => {
    const body = parseRequest(noteBody, req.body, 'body')
    const incident = engine.startIncident(req.params.id as string, req.user!.name, body?.note)
    await store.durable()
    res.status(201).json(incident)
  })
  r.post('/api/incidents/:id/close', responder, async (req, res) => {
    const incident = engine.closeIncident(req.params.id as string, req.user!.name)
    await store.durable()
    res.json(incident)
  })
  return r
}
