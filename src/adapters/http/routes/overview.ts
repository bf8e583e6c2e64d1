import { Router } from 'express'
import type { Accounts } from '../../../auth/accounts.ts'
import { overviewRows, type OverviewAlert } from '../../../domain/overview.ts'
import type { StationStatus } from '../../../domain/station-status.ts'
import { requireRole } from '../auth-middleware.ts'

/** The overview of many stations (contract v2 §E): every station, worst first. */
export function overviewRoutes(accounts: Accounts, deps: { statuses: () => StationStatus[]; unresolvedAlerts: () => Iterable<OverviewAlert> }): Router {
  const r = Router()
  r.get('/api/overview', requireRole(accounts, 'viewer'), (_req, res) => {
    res.json({ stations: overviewRows(deps.statuses(), deps.unresolvedAlerts()) })
  })
  return r
}
