import { Router } from 'express'
import type { Accounts } from '../../../auth/accounts.ts'
import { visible } from '../../../auth/station-scope.ts'
import { overviewRows, type OverviewAlert } from '../../../domain/overview.ts'
import type { StationStatus } from '../../../domain/station-status.ts'
import { requireRole } from '../auth-middleware.ts'

/** The overview of many stations (contract v2 §E): every station the user may see, worst first. */
export function overviewRoutes(accounts: Accounts, deps: { statuses: () => StationStatus[]; unresolvedAlerts: () => Iterable<OverviewAlert> }): Router {
  const r = Router()
  r.get('/api/overview', requireRole(accounts, 'viewer'), (req, res) => {
    res.json({ stations: overviewRows(visible(req.user, deps.statuses(), (s) => s.id), deps.unresolvedAlerts()) })
  })
  return r
}
