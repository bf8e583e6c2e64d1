import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import type { StationConfig } from '../../../domain/station.ts'
import type { Batch, Movement } from '../../../ledger/ledger.ts'
import type { Clock } from '../../../ports.ts'
import { isIsoDate, localDate } from '../../../ledger/local-days.ts'
import type { LedgerService } from '../../../ledger/ledger-service.ts'
import { requireRole } from '../auth-middleware.ts'
import { parseRequest, timeParam } from '../validate.ts'

const quantity = (min: number) => z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(1_000_000, 'must be at most 1000000')
const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD')
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
const id = z.string({ error: 'is required' }).min(1, 'is required').max(64, 'must be at most 64 characters')
const note = text(500).optional()

const receiptBody = z.strictObject({ itemId: id, quantity: quantity(1), producedOn: isoDate.optional(), expiresOn: isoDate.optional(), spec: text(100).optional(), supplier: text(100).optional(), note })
const issueBody = z.strictObject({ itemId: id, quantity: quantity(1), batchId: id.optional(), reason: z.enum(['use', 'loan', 'transfer'], { error: 'must be use, loan or transfer' }), note })
const countBody = z.strictObject({
  counts: z.record(z.string().max(64), quantity(0)).refine((c) => Object.keys(c).length > 0, 'must count at least one item').refine((c) => Object.keys(c).length <= 1000, 'must count at most 1000 items'),
  note,
})
const writeOffBody = z.strictObject({ batchId: id, quantity: quantity(1).optional(), reason: z.enum(['expired', 'damaged', 'lost'], { error: 'must be expired, damaged or lost' }), note })
const rangeQuery = z.object({ from: timeParam.optional(), to: timeParam.optional() })
const exportQuery = rangeQuery.extend({ format: z.literal('xlsx', { error: 'must be xlsx' }).default('xlsx') })

/** Contract v2 §C: the station ledger (台账). Every change is committed before it is answered. */
/** Writes the ledger's workbook (the XLSX adapter; passed in so this adapter does not pick another). */
export type LedgerWorkbook = (station: StationConfig, batches: readonly Batch[], movements: readonly Movement[], now: number) => Promise<Buffer>

export function ledgerRoutes(accounts: Accounts, ledger: LedgerService, clock: Clock, ledgerWorkbook: LedgerWorkbook): Router {
  const r = Router()
  const viewer = requireRole(accounts, 'viewer')
  const staff = requireRole(accounts, 'staff')
  const station = (p: unknown) => ledger.station(String(p)).id

  r.get('/api/stations/:id/ledger', viewer, async (req, res) => {
    res.json(await ledger.view(station(req.params.id)))
  })
  r.post('/api/stations/:id/ledger/receipts', staff, async (req, res) => {
    const s = station(req.params.id)
    res.status(201).json(await ledger.receive(s, parseRequest(receiptBody, req.body, 'body'), req.user!.name))
  })
  r.post('/api/stations/:id/ledger/issues', staff, async (req, res) => {
    const s = station(req.params.id)
    res.json(await ledger.issue(s, parseRequest(issueBody, req.body, 'body'), req.user!.name))
  })
  r.post('/api/stations/:id/ledger/counts', staff, async (req, res) => {
    const s = station(req.params.id)
    res.json(await ledger.count(s, parseRequest(countBody, req.body, 'body'), req.user!.name))
  })
  r.post('/api/stations/:id/ledger/write-offs', staff, async (req, res) => {
    const s = station(req.params.id)
    res.json(await ledger.writeOff(s, parseRequest(writeOffBody, req.body, 'body'), req.user!.name))
  })
  r.get('/api/stations/:id/ledger/movements', staff, async (req, res) => {
    const s = station(req.params.id)
    const q = parseRequest(rangeQuery, req.query, 'query')
    res.json((await ledger.movements(s, q.from, q.to)).map(({ id: _id, ...m }) => m))
  })
  r.get('/api/stations/:id/ledger/export', staff, async (req, res) => {
    const s = station(req.params.id)
    const q = parseRequest(exportQuery, req.query, 'query')
    const snap = await ledger.snapshot(s, q.from, q.to)
    const now = clock.now()
    const file = await ledgerWorkbook(snap.station, snap.batches, snap.movements, now)
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    res.setHeader('Content-Disposition', `attachment; filename="${s}-ledger-${localDate(now, snap.station.timezone)}.xlsx"`)
    res.send(file)
  })
  return r
}
