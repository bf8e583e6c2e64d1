import { Router, type Response } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import type { StatusBoard } from '../../../app/status-board.ts'
import { visible } from '../../../auth/station-scope.ts'
import type { AuditEvent } from '../../../domain/audit-event.ts'
import { AppError } from '../../../domain/errors.ts'
import type { Fleet } from '../../../domain/fleet.ts'
import { parseSubject } from '../../../domain/station-model.ts'
import type { ReadingStore, RecordStore } from '../../../ports.ts'
import { requireRole } from '../auth-middleware.ts'
import { durationParam, limitParam, parseRequest, timeParam } from '../validate.ts'

const MAX_POINTS = 10_000
const DAY = 86_400_000

const historyQuery = z.object({
  subject: z.string({ error: 'is required' }).refine((s) => parseSubject(s) !== undefined, 'must be door:ID, key:ID, item:ID or device:ID'),
  from: timeParam.optional(),
  to: timeParam.optional(),
  step: durationParam.optional(),
})

const eventsQuery = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  limit: limitParam(10_000, 100),
  format: z.enum(['json', 'csv']).default('json'),
  kind: z.string().optional(),
  subject: z.string().optional(),
  user: z.string().optional(),
})

export function stationRoutes(deps: { accounts: Accounts; fleet: Fleet; board: Pick<StatusBoard, 'all' | 'status'>; readings: ReadingStore; records: RecordStore }): Router {
  const { accounts, fleet, board, readings, records } = deps
  const r = Router()
  const viewer = requireRole(accounts, 'viewer')
  const staff = requireRole(accounts, 'staff')

  const stationOr404 = (id: string) => {
    const state = fleet.stations.get(id)
    if (!state) throw new AppError('STATION_UNKNOWN', `no station "${id}"`)
    return state
  }

  r.get('/api/stations', viewer, (req, res) => {
    res.json(visible(req.user, board.all(), (s) => s.id).map((s) => ({ id: s.id, name: s.name, readiness: s.readiness, level: s.level, activeAlerts: s.activeAlerts })))
  })

  r.get('/api/stations/:id', viewer, (req, res) => {
    stationOr404(req.params.id as string)
    res.json(board.status(req.params.id as string))
  })

  r.get('/api/stations/:id/history', viewer, async (req, res) => {
    const state = stationOr404(req.params.id as string)
    const q = parseRequest(historyQuery, req.query, 'query')
    const subject = parseSubject(q.subject)!
    const m = state.model
    const known = subject.type === 'door' ? m.doors.has(subject.id) : subject.type === 'key' ? m.keys.has(subject.id) : subject.type === 'item' ? m.items.has(subject.id) : m.devices.has(subject.id)
    if (!known) throw new AppError('NOT_FOUND', `query.subject: station "${m.id}" has no ${q.subject}`)
    const to = q.to ?? Date.now()
    const from = q.from ?? to - DAY
    if (from > to) throw new AppError('BAD_REQUEST', 'query.from: must not be after to')
    if (q.step && (to - from) / q.step > MAX_POINTS) throw new AppError('BAD_REQUEST', `query.step: too small for this range (at most ${MAX_POINTS} points)`)
    const points = await readings.history({
      station: m.id,
      subject: q.subject,
      from,
      to,
      ...(q.step ? { step: q.step } : {}),
      limit: MAX_POINTS,
      valueType: subject.type === 'item' && m.isCounted(subject.id) ? 'number' : 'boolean',
    })
    res.json({ subject: q.subject, from, to, ...(q.step ? { step: q.step } : {}), points })
  })

  r.get('/api/stations/:id/events', staff, async (req, res) => {
    const state = stationOr404(req.params.id as string)
    const q = parseRequest(eventsQuery, req.query, 'query')
    // What happened a moment ago is in the trail: wait for its commit without blocking the loop.
    await records.flush()
    const events = await records.queryEvents({
      station: state.model.id,
      limit: q.limit,
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.kind ? { kinds: q.kind.split(',') } : {}),
      ...(q.subject ? { subject: q.subject } : {}),
      ...(q.user ? { user: q.user } : {}),
    })
    if (q.format === 'csv') return sendCsv(res, `${state.model.id}-events.csv`, events, state.model.config.timezone)
    res.json(events)
  })

  return r
}

const CSV_COLUMNS = ['t', 'time', 'kind', 'subject', 'device', 'user', 'value', 'detail', 'incident'] as const

function sendCsv(res: Response, filename: string, events: AuditEvent[], timezone: string): void {
  const fmt = new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'medium' })
  const rows = events.map((e) =>
    [e.t, `${fmt.format(e.t)} ${timezone}`, e.kind, e.subject, e.device, e.user ?? '', e.value ?? '', e.detail ?? '', e.incident ?? ''].map(csvCell).join(','),
  )
  res.setHeader('Content-Type', 'text/csv; charset=utf-8')
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`)
  // The BOM lets spreadsheet programs read the Chinese names as UTF-8.
  res.send('\uFEFF' + [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n')
}

function csvCell(v: string | number): string {
  let s = String(v)
  // A leading = + - @ would be run as a formula by spreadsheet programs, and a leading tab or CR is
  // dropped by some of them before they look for one (contract v2 A6).
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
