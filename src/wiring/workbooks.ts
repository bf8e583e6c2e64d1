import type { LedgerWorkbook } from '../adapters/http/routes/ledger.ts'
import type { ReportWorkbook } from '../adapters/http/routes/report.ts'

// exceljs takes ~0.3 s to load: the workbook writers are loaded with the first export, not at
// every start-up (start-up time is what a restarted station waits through unwatched).

export const ledgerWorkbook: LedgerWorkbook = async (...args) => (await import('../adapters/xlsx/ledger-workbook.ts')).ledgerWorkbook(...args)

export const monthlyReportWorkbook: ReportWorkbook = async (...args) => (await import('../adapters/xlsx/monthly-report-workbook.ts')).monthlyReportWorkbook(...args)
