import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import { canSee, scopedList } from '../../../auth/station-scope.ts'
import { AppError } from '../../../domain/errors.ts'
import { isIsoDate } from '../../../ledger/local-days.ts'
import type { AckTimesReport } from '../../../routine/ack-times.ts'
import { DRILL_RULES, type DrillService } from '../../../routine/drills.ts'
import type { TrainingService } from '../../../routine/trainings.ts'
import { requireRole } from '../auth-middleware.ts'
import { limitParam, parseRequest, timeParam } from '../validate.ts'

const text = (max: number) => z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
const isoDate = z.string({ error: 'must be a date as YYYY-MM-DD' }).refine(isIsoDate, 'must be a date as YYYY-MM-DD')
const ruleNames = Object.keys(DRILL_RULES) as [keyof typeof DRILL_RULES, ...(keyof typeof DRILL_RULES)[]]

const drillBody = z.strictObject({ rule: z.enum(ruleNames, { error: `must be one of ${ruleNames.join(', ')}` }).optional(), note: text(500).optional() }).optional()
const drillQuery = z.object({ station: z.string().max(64).optional(), from: timeParam.optional(), to: timeParam.optional(), limit: limitParam(5000, 500) })
const trainingBody = z.strictObject({
  date: isoDate,
  topic: text(200),
  participants: z.array(text(64), { error: 'must be a list of names' }).min(1, 'must name at least one participant').max(200, 'must name at most 200 participants'),
  hours: z.number({ error: 'must be a number' }).positive('must be more than 0').max(24, 'must be at most 24'),
})
const trainingQuery = z.object({ from: isoDate.optional(), to: isoDate.optional() })
const ackQuery = z.object({ station: z.string().max(64).optional(), from: timeParam.optional(), to: timeParam.optional() })

/**
 * How the time-to-acknowledge figures are gathered (the alert store and the drills, in the composition
 * root); `within`: only these stations (a scoped user's), absent for every station.
 */
export type AckTimesSource = (q: { from: number; to: number; station?: string; within?: readonly string[] }) => AckTimesReport

const DAY_MS = 86_400_000

/** Contract v2 §D: drills, trainings and time to acknowledge. */
export function drillRoutes(accounts: Accounts, deps: { drills: DrillService; trainings: TrainingService; ackTimes: AckTimesSource; now: () => number }): Router {
  const r = Router()
  const viewer = requireRole(accounts, 'viewer')
  const responder = requireRole(accounts, 'responder')

  r.post('/api/stations/:id/drills', responder, (req, res) => {
    const body = parseRequest(drillBody, req.body, 'body') ?? {}
    res.status(201).json(deps.drills.start(String(req.params.id), body, req.user!.name))
  })
  r.post('/api/drills/:id/end', responder, (req, res) => {
    res.json(deps.drills.end(String(req.params.id), req.user!.name))
  })
  r.get('/api/drills', viewer, async (req, res) => {
    const q = parseRequest(drillQuery, req.query, 'query')
    // A station out of scope answers like an unknown one.
    if (q.station !== undefined && !canSee(req.user, q.station)) throw new AppError('STATION_UNKNOWN', `no station "${q.station}"`)
    res.json(await scopedList(req.user, q, (station) => deps.drills.list({ ...q, ...(station ? { station } : {}) }), (d) => d.startedAt))
  })
  r.post('/api/stations/:id/trainings', responder, (req, res) => {
    const body = parseRequest(trainingBody, req.body, 'body')
    res.status(201).json(deps.trainings.record(String(req.params.id), body, req.user!.name))
  })
  r.get('/api/stations/:id/trainings', viewer, (req, res) => {
    const q = parseRequest(trainingQuery, req.query, 'query')
    res.json(deps.trainings.list(String(req.params.id), { ...(q.from ? { fromDate: q.from } : {}), ...(q.to ? { toDate: q.to } : {}) }))
  })
  // Who acknowledged how fast names people: staff and up, like the audit trail.
  r.get('/api/ack-times', requireRole(accounts, 'staff'), (req, res) => {
    const q = parseRequest(ackQuery, req.query, 'query')
    if (q.station !== undefined && !canSee(req.user, q.station)) throw new AppError('STATION_UNKNOWN', `no station "${q.station}"`)
    const to = q.to ?? deps.now()
    const within = req.user!.stations
    res.json(deps.ackTimes({ from: q.from ?? to - 30 * DAY_MS, to, ...(q.station ? { station: q.station } : {}), ...(within ? { within } : {}) }))
  })
  return r
}
