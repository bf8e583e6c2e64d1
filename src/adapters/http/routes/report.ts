import { Router } from 'express'
import { z } from 'zod'
import type { Accounts } from '../../../auth/accounts.ts'
import type { MonthlyReport } from '../../../routine/monthly-report.ts'
import { requireRole } from '../auth-middleware.ts'
import { parseRequest } from '../validate.ts'

const reportQuery = z.object({
  month: z.string({ error: 'is required, as YYYY-MM' }).regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM'),
  format: z.enum(['xlsx', 'json'], { error: 'must be xlsx or json' }).default('xlsx'),
})

/** Writes the report's workbook (the XLSX adapter; passed in so this adapter does not pick another). */
export type ReportWorkbook = (report: MonthlyReport) => Promise<Buffer>

/** Contract v2 §D: the monthly report of a station (staff). `format=json` gives the same figures for a page. */
export function reportRoutes(accounts: Accounts, report: (station: string, month: string) => Promise<MonthlyReport>, workbook: ReportWorkbook): Router {
  const r = Router()
  r.get('/api/stations/:id/report', requireRole(accounts, 'staff'), async (req, res) => {
    const q = parseRequest(reportQuery, req.query, 'query')
    const data = await report(String(req.params.id), q.month)
    if (q.format === 'json') {
      const { station, ...rest } = data
      res.json({ station: station.id, ...rest })
      return
    }
    const file = await workbook(data)
    res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    res.setHeader('Content-Disposition', `attachment; filename="${data.station.id}-report-${q.month}.xlsx"`)
    res.send(file)
  })
  return r
}
