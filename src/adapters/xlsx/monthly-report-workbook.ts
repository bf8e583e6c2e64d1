import ExcelJS from 'exceljs'
import { zoneOffset } from '../../ledger/local-days.ts'
import type { AckFigures } from '../../routine/ack-times.ts'
import type { MonthlyReport } from '../../routine/monthly-report.ts'

const DATE = 'yyyy-mm-dd'
const DATETIME = 'yyyy-mm-dd hh:mm'
const LEVEL: Record<string, string> = { ready: '就绪', degraded: '降级', 'not-ready': '未就绪' }
const STATUS: Record<string, string> = { done: '按时完成', late: '逾期完成', missed: '未完成', pending: '待完成' }
const MOVEMENT: Record<string, string> = { receipt: '入库', issue: '出库', count: '盘点', 'write-off': '报废' }
const RULE: Record<string, string> = {
  'door-forced': '门被强行打开', 'door-open-too-long': '门长时间未关', 'key-overdue': '钥匙逾期未还', 'equipment-missing': '器材不在位', 'stock-low': '物资库存不足',
  'device-offline': '设备离线', 'battery-low': '设备电量低', tamper: '设备被拆动', expiring: '物资即将过期', expired: '物资已过期', 'inspection-overdue': '巡检逾期未做', 'inspection-failed': '巡检项目不合格',
}

interface Column { header: string; key: string; width: number; numFmt?: string }

/**
 * The monthly report (月度报告) as a workbook: 概况, 战备状态, 告警统计, 响应时间, 巡检, 台账变动, 演练, 培训.
 * Times are real Excel dates in the station's local time (Excel dates carry no zone); durations in
 * seconds and hours are numbers, so the office can sum and chart them.
 */
export async function monthlyReportWorkbook(r: MonthlyReport): Promise<Buffer> {
  const tz = r.station.timezone
  const at = (t: number | undefined) => (t === undefined ? null : new Date(t + zoneOffset(t, tz)))
  const day = (d: string) => new Date(`${d}T00:00:00Z`)
  const rule = (name: string) => RULE[name] ?? name
  const wb = new ExcelJS.Workbook()
  wb.creator = 'stationwatch'
  wb.created = new Date(r.generatedAt)
  const sheet = (name: string, columns: Column[], rows: Record<string, unknown>[]) => {
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] })
    ws.columns = columns.map((c) => ({ header: c.header, key: c.key, width: c.width, ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}) }))
    ws.getRow(1).font = { bold: true }
    for (const row of rows) ws.addRow(row)
  }

  const done = r.inspections.filter((i) => i.status === 'done' || i.status === 'late').length
  const missed = r.inspections.filter((i) => i.status === 'missed').length
  sheet('概况', [{ header: '项目', key: 'k', width: 22 }, { header: '值', key: 'v', width: 30 }], [
    { k: '站点', v: r.station.name },
    { k: '月份', v: r.month },
    { k: '生成时间', v: at(r.generatedAt) },
    { k: '未就绪天数', v: r.readiness.filter((d) => d.level === 'not-ready').length },
    { k: '告警数（不含演练）', v: r.alertsByRule.reduce((n, l) => n + l.opened, 0) },
    { k: '告警确认用时中位数（秒）', v: r.ackTimes.real.medianSeconds },
    { k: '告警确认用时最长（秒）', v: r.ackTimes.real.worstSeconds },
    { k: '演练确认用时中位数（秒）', v: r.ackTimes.drill.medianSeconds },
    { k: '演练确认用时最长（秒）', v: r.ackTimes.drill.worstSeconds },
    { k: '巡检完成', v: done },
    { k: '巡检未完成', v: missed },
    { k: '台账变动', v: r.movements.length },
    { k: '演练次数', v: r.drills.length },
    { k: '培训次数', v: r.trainings.length },
  ])
  wb.getWorksheet('概况')!.getCell('B3').numFmt = DATETIME

  sheet(
    '战备状态',
    [{ header: '日期', key: 'date', width: 12, numFmt: DATE }, { header: '状态', key: 'level', width: 8 }, { header: '紧急告警时长（小时）', key: 'critical', width: 20 }, { header: '警告时长（小时）', key: 'warning', width: 18 }, { header: '新告警数', key: 'opened', width: 10 }],
    r.readiness.map((d) => ({ date: day(d.date), level: LEVEL[d.level], critical: d.criticalHours, warning: d.warningHours, opened: d.alertsOpened })),
  )
  sheet(
    '告警统计',
    [{ header: '规则', key: 'rule', width: 10 }, { header: '告警类型', key: 'name', width: 16 }, { header: '告警数', key: 'opened', width: 8 }, { header: '已确认', key: 'acked', width: 8 }, { header: '确认用时中位数（秒）', key: 'median', width: 20 }, { header: '确认用时最长（秒）', key: 'worst', width: 18 }],
    r.alertsByRule.map((l) => ({ rule: l.rule, name: rule(l.rule), opened: l.opened, acked: l.acknowledged, median: l.medianSeconds, worst: l.worstSeconds })),
  )
  const ackRows: Record<string, unknown>[] = []
  for (const [kind, s] of [['真实告警', r.ackTimes.real], ['演练', r.ackTimes.drill]] as const) {
    const row = (scope: string, name: string, f: AckFigures) => ackRows.push({ kind, scope, name, count: f.count, median: f.medianSeconds, worst: f.worstSeconds })
    row('全站', r.station.name, s)
    for (const [name, f] of Object.entries(s.byRule)) row('规则', rule(name), f)
    for (const [name, f] of Object.entries(s.byPerson)) row('人员', name, f)
  }
  sheet('响应时间', [{ header: '类别', key: 'kind', width: 10 }, { header: '维度', key: 'scope', width: 8 }, { header: '名称', key: 'name', width: 18 }, { header: '次数', key: 'count', width: 8 }, { header: '中位数（秒）', key: 'median', width: 12 }, { header: '最长（秒）', key: 'worst', width: 12 }], ackRows)
  sheet(
    '巡检',
    [{ header: '巡检', key: 'name', width: 14 }, { header: '应完成时间', key: 'due', width: 17, numFmt: DATETIME }, { header: '状态', key: 'status', width: 10 }, { header: '完成时间', key: 'doneAt', width: 17, numFmt: DATETIME }, { header: '完成人', key: 'by', width: 12 }, { header: '不合格项', key: 'failed', width: 40 }],
    r.inspections.map((i) => ({ name: i.name, due: at(i.dueAt), status: STATUS[i.status], doneAt: at(i.doneAt), by: i.doneBy ?? '', failed: i.failedItems.join('；') })),
  )
  const items = new Map(r.station.equipment.map((e) => [e.id, e.name]))
  sheet(
    '台账变动',
    [{ header: '日期', key: 't', width: 17, numFmt: DATETIME }, { header: '类型', key: 'kind', width: 8 }, { header: '物资名称', key: 'item', width: 18 }, { header: '批次号', key: 'batch', width: 14 }, { header: '数量', key: 'quantity', width: 8 }, { header: '经办人', key: 'by', width: 12 }, { header: '备注', key: 'note', width: 24 }],
    r.movements.map((m) => ({ t: at(m.t), kind: MOVEMENT[m.kind], item: items.get(m.itemId) ?? m.itemId, batch: m.batchId ?? '', quantity: m.kind === 'count' ? (m.delta ?? 0) : m.quantity, by: m.by, note: m.note ?? '' })),
  )
  sheet(
    '演练',
    [{ header: '开始时间', key: 'start', width: 17, numFmt: DATETIME }, { header: '结束时间', key: 'end', width: 17, numFmt: DATETIME }, { header: '演练类型', key: 'rule', width: 16 }, { header: '发起人', key: 'by', width: 12 }, { header: '确认人数', key: 'n', width: 10 }, { header: '确认明细（秒）', key: 'responses', width: 40 }, { header: '备注', key: 'note', width: 24 }],
    r.drills.map((d) => ({ start: at(d.startedAt), end: at(d.endedAt), rule: rule(d.rule), by: d.startedBy, n: d.responses.length, responses: d.responses.map((x) => `${x.user} ${x.secondsToAck}`).join('；'), note: d.note ?? '' })),
  )
  sheet(
    '培训',
    [{ header: '日期', key: 'date', width: 12, numFmt: DATE }, { header: '主题', key: 'topic', width: 24 }, { header: '参加人员', key: 'people', width: 40 }, { header: '人数', key: 'n', width: 8 }, { header: '学时', key: 'hours', width: 8 }],
    r.trainings.map((t) => ({ date: day(t.date), topic: t.topic, people: t.participants.join('、'), n: t.participants.length, hours: t.hours })),
  )
  return Buffer.from(await wb.xlsx.writeBuffer())
}
