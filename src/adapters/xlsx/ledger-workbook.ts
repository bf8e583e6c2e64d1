import ExcelJS from 'exceljs'
import type { StationConfig } from '../../domain/station.ts'
import { batchState, warnDaysOf } from '../../ledger/expiry.ts'
import { byExpiry, type Batch, type Movement } from '../../ledger/ledger.ts'
import { localDate, zoneOffset } from '../../ledger/local-days.ts'

const REASONS: Record<string, string> = { use: '使用', loan: '借用', transfer: '调拨', expired: '过期', damaged: '损坏', lost: '丢失' }
const STATES: Record<string, string> = { ok: '正常', expiring: '临期', expired: '已过期' }
const DATE = 'yyyy-mm-dd'
const DATETIME = 'yyyy-mm-dd hh:mm'

interface Column { header: string; key: string; width: number; numFmt?: string }

/**
 * The ledger as an office keeps it: 明细表 (one row per batch held), 入库表, 出库表, 盘点表 and 报废表
 * (one row per movement), Chinese headers, item codes, and dates as real Excel dates shown in the
 * station's local time (Excel dates carry no zone, so each is written as its local wall-clock time).
 */
/** `batches`: all of the station's, used-up ones included (a receipt's row shows its batch's dates). */
export async function ledgerWorkbook(station: StationConfig, batches: readonly Batch[], movements: readonly Movement[], now: number): Promise<Buffer> {
  const tz = station.timezone
  const items = new Map(station.equipment.map((e) => [e.id, e]))
  const batchById = new Map(batches.map((b) => [b.id, b]))
  const today = localDate(now, tz)
  const at = (t: number) => new Date(t + zoneOffset(t, tz))
  const day = (d: string | undefined) => (d ? new Date(`${d}T00:00:00Z`) : null)
  const item = (id: string) => ({ code: items.get(id)?.code ?? '', name: items.get(id)?.name ?? id })

  const wb = new ExcelJS.Workbook()
  wb.creator = 'stationwatch'
  wb.created = new Date(now)
  const sheet = (name: string, columns: Column[], rows: Record<string, unknown>[]) => {
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] })
    ws.columns = columns.map((c) => ({ header: c.header, key: c.key, width: c.width, ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}) }))
    ws.getRow(1).font = { bold: true }
    for (const r of rows) ws.addRow(r)
  }

  const held = [...batches].filter((b) => b.quantity > 0).sort((a, b) => station.equipment.findIndex((e) => e.id === a.itemId) - station.equipment.findIndex((e) => e.id === b.itemId) || byExpiry(a, b))
  sheet(
    '明细表',
    [
      { header: '序号', key: 'n', width: 6 },
      { header: '物资编码', key: 'code', width: 12 },
      { header: '物资名称', key: 'name', width: 18 },
      { header: '类别', key: 'category', width: 14 },
      { header: '规格型号', key: 'spec', width: 16 },
      { header: '批次号', key: 'batch', width: 14 },
      { header: '数量', key: 'quantity', width: 8 },
      { header: '生产日期', key: 'producedOn', width: 12, numFmt: DATE },
      { header: '有效期至', key: 'expiresOn', width: 12, numFmt: DATE },
      { header: '状态', key: 'state', width: 8 },
      { header: '供应商', key: 'supplier', width: 18 },
      { header: '入库时间', key: 'receivedAt', width: 17, numFmt: DATETIME },
    ],
    held.map((b, i) => ({
      n: i + 1,
      ...item(b.itemId),
      category: items.get(b.itemId)?.category ?? '',
      spec: b.spec ?? '',
      batch: b.id,
      quantity: b.quantity,
      producedOn: day(b.producedOn),
      expiresOn: day(b.expiresOn),
      state: STATES[batchState(b, today, warnDaysOf(station, b.itemId))],
      supplier: b.supplier ?? '',
      receivedAt: at(b.receivedAt),
    })),
  )

  const of = (kind: Movement['kind']) => movements.filter((m) => m.kind === kind)
  const common = (m: Movement) => ({ t: at(m.t), ...item(m.itemId), batch: m.batchId ?? '', by: m.by, note: m.note ?? '' })
  const head: Column[] = [
    { header: '日期', key: 't', width: 17, numFmt: DATETIME },
    { header: '物资编码', key: 'code', width: 12 },
    { header: '物资名称', key: 'name', width: 18 },
    { header: '批次号', key: 'batch', width: 14 },
  ]
  const tail: Column[] = [
    { header: '经办人', key: 'by', width: 12 },
    { header: '备注', key: 'note', width: 24 },
  ]
  sheet(
    '入库表',
    [...head, { header: '数量', key: 'quantity', width: 8 }, { header: '规格型号', key: 'spec', width: 16 }, { header: '生产日期', key: 'producedOn', width: 12, numFmt: DATE }, { header: '有效期至', key: 'expiresOn', width: 12, numFmt: DATE }, { header: '供应商', key: 'supplier', width: 18 }, ...tail],
    of('receipt').map((m) => {
      const b = m.batchId ? batchById.get(m.batchId) : undefined
      return { ...common(m), quantity: m.quantity, spec: b?.spec ?? '', producedOn: day(b?.producedOn), expiresOn: day(b?.expiresOn), supplier: b?.supplier ?? '' }
    }),
  )
  sheet('出库表', [...head, { header: '数量', key: 'quantity', width: 8 }, { header: '用途', key: 'reason', width: 8 }, ...tail], of('issue').map((m) => ({ ...common(m), quantity: m.quantity, reason: REASONS[m.reason ?? ''] ?? '' })))
  sheet(
    '盘点表',
    [...head, { header: '账面数量', key: 'expected', width: 10 }, { header: '实盘数量', key: 'counted', width: 10 }, { header: '盈亏数量', key: 'delta', width: 10 }, { header: '盘点人', key: 'by', width: 12 }, { header: '备注', key: 'note', width: 24 }],
    of('count').map((m) => ({ ...common(m), expected: m.expected ?? null, counted: m.counted ?? null, delta: m.delta ?? 0 })),
  )
  sheet('报废表', [...head, { header: '数量', key: 'quantity', width: 8 }, { header: '报废原因', key: 'reason', width: 10 }, ...tail], of('write-off').map((m) => ({ ...common(m), quantity: m.quantity, reason: REASONS[m.reason ?? ''] ?? '' })))

  return Buffer.from(await wb.xlsx.writeBuffer())
}
