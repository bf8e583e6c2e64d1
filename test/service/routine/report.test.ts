import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { createUser, startTestService, type TestService } from '../../helpers/service.ts'
import { readXlsx, records, serialToIso } from '../../helpers/xlsx-reader.ts'
import { routineStation, sh, submitRun } from './routine-fixture.ts'

/**
 * December 2026 at a station with a weekly (Mondays 09:00) and a monthly (1st, 09:00) inspection,
 * lived on an injected clock, then read back from the XLSX with an independent reader. By hand:
 *   weekly  Dec 7 done early (Dec 6), Dec 14 missed then done late Dec 15 10:00, Dec 21 done with
 *           a failed item (Dec 20 10:00), Dec 28 missed;  monthly Dec 1 done 08:00
 *   real alerts: inspection-overdue Dec 14 09:00 (acked after 300 s, resolved by the run Dec 15 10:00),
 *           inspection-failed Dec 20 10:00 (acked after 600 s, resolved 10:30), inspection-overdue
 *           Dec 28 09:00 (open past the month)  → ack median 450 s, worst 600 s
 *   readiness (warnings only): Dec 14 15 h, Dec 15 10 h, Dec 20 0.5 h, Dec 28 15 h, Dec 29-31 24 h;
 *           the drill of Dec 10 (critical) changes nothing
 *   a drill Dec 10 10:00 acked after 40 s; a training Dec 12; a ledger receipt Dec 3
 */
describe('the monthly report', () => {
  let t: TestService
  let li: string
  const time = new FakeTime(sh('2026-11-28T12:00'))
  const until = (local: string) => time.advance(sh(local) - time.now())
  const all = { doors: { ok: true }, spreader: { ok: true }, extinguisher: { ok: true } }
  const openAlert = async (rule: string) => ((await t.api(`/api/alerts?station=${t.station.id}&state=active`)).body as any[]).find((a) => a.rule === rule)
  const post = (path: string, body: unknown, token = li) => t.api(path, { method: 'POST', body, token })
  const S = () => `/api/stations/${t.station.id}`

  beforeAll(async () => {
    t = await startTestService({ stations: [routineStation('reportstation')], clock: time, timers: time })
    li = await createUser(t, 'li', 'responder')
    until('2026-11-29T10:00')
    expect((await submitRun(t, 'weekly', all, li)).status).toBe(201)
    until('2026-12-01T08:00')
    expect((await submitRun(t, 'monthly', { water: { ok: true } }, li)).body).toMatchObject({ late: false, dueAt: sh('2026-12-01T09:00') })
    until('2026-12-03T15:00')
    expect((await post(`${S()}/ledger/receipts`, { itemId: 'water', quantity: 24, expiresOn: '2027-12-01' })).status).toBe(201)
    until('2026-12-06T10:00')
    await submitRun(t, 'weekly', all, li)
    until('2026-12-10T10:00')
    const drill = (await post(`${S()}/drills`, { note: '年度演练' })).body
    until('2026-12-10T10:00:40')
    expect((await post(`/api/alerts/${drill.alertId}/ack`, {})).status).toBe(200)
    until('2026-12-10T10:10')
    await post(`/api/drills/${drill.id}/end`, {})
    until('2026-12-12T15:00')
    await post(`${S()}/trainings`, { date: '2026-12-12', topic: '灭火器使用', participants: ['李', '周'], hours: 2 })
    until('2026-12-14T09:05')
    expect((await post(`/api/alerts/${(await openAlert('inspection-overdue')).id}/ack`, {})).status).toBe(200)
    until('2026-12-15T10:00')
    expect((await submitRun(t, 'weekly', all, li)).body).toMatchObject({ late: true, dueAt: sh('2026-12-14T09:00') })
    until('2026-12-20T10:00')
    await submitRun(t, 'weekly', { ...all, spreader: { ok: false, note: '液压油不足' } }, li)
    const failed = await openAlert('inspection-failed')
    until('2026-12-20T10:10')
    await post(`/api/alerts/${failed.id}/ack`, {})
    until('2026-12-20T10:30')
    await post(`/api/alerts/${failed.id}/resolve`, { note: '已加油' })
    until('2027-01-02T12:00')
  })
  afterAll(() => t?.stop())

  it('is for staff, and names a bad month', async () => {
    const viewer = await createUser(t, 'viewer', 'viewer')
    expect((await t.api(`${S()}/report?month=2026-12&format=xlsx`, { token: viewer })).status).toBe(403)
    const bad = await t.api(`${S()}/report?month=2026-13&format=xlsx`)
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('query.month')
    expect((await t.api(`/api/stations/nowhere/report?month=2026-12`)).status).toBe(404)
  })

  it('reads back: readiness, alerts by rule, time to acknowledge, inspections, ledger, drills, trainings', async () => {
    const r = await fetch(`${t.base}${S()}/report?month=2026-12&format=xlsx`, { headers: { authorization: `Bearer ${t.token}` } })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(r.headers.get('content-disposition')).toContain('reportstation-report-2026-12.xlsx')
    const sheets = readXlsx(Buffer.from(await r.arrayBuffer()))
    expect(sheets.map((s) => s.name)).toEqual(['概况', '战备状态', '告警统计', '响应时间', '巡检', '台账变动', '演练', '培训'])
    const sheet = (name: string) => records(sheets.find((s) => s.name === name)!)
    const v = (row: Record<string, any>, k: string) => row[k]?.value ?? null

    const readiness = sheet('战备状态')
    expect(readiness).toHaveLength(31)
    const dayRow = (d: number) => readiness[d - 1]!
    expect(serialToIso(v(dayRow(1), '日期'))).toBe('2026-12-01 00:00')
    const warn = Object.fromEntries(readiness.filter((x) => v(x, '警告时长（小时）') > 0).map((x) => [serialToIso(v(x, '日期')).slice(8, 10), v(x, '警告时长（小时）')]))
    expect(warn).toEqual({ '14': 15, '15': 10, '20': 0.5, '28': 15, '29': 24, '30': 24, '31': 24 })
    expect(readiness.every((x) => v(x, '紧急告警时长（小时）') === 0)).toBe(true)
    expect(v(dayRow(10), '状态')).toBe('就绪')
    expect(v(dayRow(14), '状态')).toBe('降级')

    const byRule = sheet('告警统计').map((x) => [v(x, '规则'), v(x, '告警数'), v(x, '已确认'), v(x, '确认用时中位数（秒）'), v(x, '确认用时最长（秒）')])
    expect(byRule).toEqual([
      ['inspection-failed', 1, 1, 600, 600],
      ['inspection-overdue', 2, 1, 300, 300],
    ])

    const ack = sheet('响应时间').map((x) => [v(x, '类别'), v(x, '维度'), v(x, '名称'), v(x, '次数'), v(x, '中位数（秒）'), v(x, '最长（秒）')])
    expect(ack).toContainEqual(['真实告警', '全站', '测试站', 2, 450, 600])
    expect(ack).toContainEqual(['真实告警', '人员', 'li', 2, 450, 600])
    expect(ack).toContainEqual(['演练', '全站', '测试站', 1, 40, 40])

    const insp = sheet('巡检').map((x) => [v(x, '巡检'), serialToIso(v(x, '应完成时间')), v(x, '状态'), v(x, '完成时间') === null ? null : serialToIso(v(x, '完成时间')), v(x, '不合格项')])
    expect(insp).toEqual([
      ['每周巡检', '2026-12-07 09:00', '按时完成', '2026-12-06 10:00', ''],
      ['每周巡检', '2026-12-14 09:00', '逾期完成', '2026-12-15 10:00', ''],
      ['每周巡检', '2026-12-21 09:00', '按时完成', '2026-12-20 10:00', '液压破拆工具在位、油量正常：液压油不足'],
      ['每周巡检', '2026-12-28 09:00', '未完成', null, ''],
      ['月度检查', '2026-12-01 09:00', '按时完成', '2026-12-01 08:00', ''],
    ])

    const ledger = sheet('台账变动')
    expect(ledger.map((x) => [serialToIso(v(x, '日期')), v(x, '类型'), v(x, '物资名称'), v(x, '数量')])).toEqual([['2026-12-03 15:00', '入库', '饮用水', 24]])

    const drills = sheet('演练')
    expect(drills).toHaveLength(1)
    expect(serialToIso(v(drills[0]!, '开始时间'))).toBe('2026-12-10 10:00')
    expect(v(drills[0]!, '确认明细（秒）')).toBe('li 40')

    const trainings = sheet('培训')
    expect(trainings.map((x) => [serialToIso(v(x, '日期')).slice(0, 10), v(x, '主题'), v(x, '人数'), v(x, '学时')])).toEqual([['2026-12-12', '灭火器使用', 2, 2]])

    const summary = Object.fromEntries(sheet('概况').map((x) => [v(x, '项目'), v(x, '值')]))
    expect(summary).toMatchObject({ 月份: '2026-12', 巡检完成: 4, 巡检未完成: 1, 演练次数: 1, 培训次数: 1, '告警数（不含演练）': 3, 未就绪天数: 0 })
  })

  it('gives the same figures as JSON for a page', async () => {
    const r = await t.api(`${S()}/report?month=2026-12&format=json`)
    expect(r.status).toBe(200)
    expect(r.body.ackTimes.real).toMatchObject({ count: 2, medianSeconds: 450, worstSeconds: 600 })
    expect(r.body.inspections.filter((i: any) => i.status === 'missed')).toHaveLength(1)
  })
})
