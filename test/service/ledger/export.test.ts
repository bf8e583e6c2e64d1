import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { startTestService, type TestService } from '../../helpers/service.ts'
import { readXlsx, records, serialToIso } from '../../helpers/xlsx-reader.ts'
import { ledgerStation, receipt } from './ledger-fixture.ts'

const shanghai = (local: string) => Date.parse(`${local}+08:00`)

describe('the ledger exported to XLSX, read back with an independent reader', () => {
  let t: TestService
  const time = new FakeTime(shanghai('2026-12-04T09:30:00'))
  const post = async (p: string, body: unknown) => {
    const r = await t.api(`/api/stations/${t.station.id}/ledger/${p}`, { method: 'POST', body })
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${r.text}`)
    return r.body
  }

  beforeAll(async () => {
    t = await startTestService({ stations: [ledgerStation()], clock: time, timers: time })
  })
  afterAll(() => t?.stop())

  it('has the five sheets, Chinese headers, item codes, real dates in local time, one row per batch or movement', async () => {
    const a = await receipt(t, { itemId: 'bandages', quantity: 30, producedOn: '2025-06-01', expiresOn: '2027-05-31', spec: '7.5cm×4.5m', supplier: '襄阳医药公司', note: '=1+1' })
    const b = await receipt(t, { itemId: 'bandages', quantity: 10, expiresOn: '2026-12-01' })
    time.advance(3_600_000)
    await post('issues', { itemId: 'bandages', quantity: 12, reason: 'loan', note: '借给3号院' })
    await post('write-offs', { batchId: b.id, reason: 'expired', note: '过期销毁' })
    await post('counts', { counts: { bandages: 17, 'aed-pads': 0 }, note: '月度盘点' })

    const r = await fetch(`${t.base}/api/stations/${t.station.id}/ledger/export?format=xlsx`, { headers: { authorization: `Bearer ${t.token}` } })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(r.headers.get('content-disposition')).toContain(`${t.station.id}-ledger-2026-12-04.xlsx`)
    const sheets = readXlsx(Buffer.from(await r.arrayBuffer()))
    expect(sheets.map((s) => s.name)).toEqual(['明细表', '入库表', '出库表', '盘点表', '报废表'])
    const sheet = (name: string) => records(sheets.find((s) => s.name === name)!)

    // 明细表: one row per batch still held
    const detail = sheet('明细表')
    expect(Object.keys(detail[0]!)).toEqual(['序号', '物资编码', '物资名称', '类别', '规格型号', '批次号', '数量', '生产日期', '有效期至', '状态', '供应商', '入库时间'])
    expect(detail).toHaveLength(1)
    const row = detail[0]!
    expect(row['物资编码']!.value).toBe('1010101')
    expect(row['物资名称']!.value).toBe('弹性绷带')
    expect(row['批次号']!.value).toBe(a.id)
    // 30 + 10 in; 12 issued from a (b had expired); b's 10 written off; counted 17 of a's 18
    expect(row['数量']!.value).toBe(17)
    expect(row['状态']!.value).toBe('正常')
    for (const [k, v] of [['生产日期', '2025-06-01 00:00'], ['有效期至', '2027-05-31 00:00'], ['入库时间', '2026-12-04 09:30']] as const) {
      expect(row[k]!.type, k).toBe('number')
      expect(row[k]!.numFmt, k).toMatch(/y.*m.*d/)
      expect(serialToIso(row[k]!.value as number), k).toBe(v)
    }

    const ins = sheet('入库表')
    expect(Object.keys(ins[0]!)).toEqual(['日期', '物资编码', '物资名称', '批次号', '数量', '规格型号', '生产日期', '有效期至', '供应商', '经办人', '备注'])
    expect(ins.map((x) => [x['批次号']!.value, x['数量']!.value])).toEqual([
      [a.id, 30],
      [b.id, 10],
    ])
    // a used-up batch's receipt still shows its dates
    expect(serialToIso(ins[1]!['有效期至']!.value as number)).toBe('2026-12-01 00:00')
    expect(ins[0]!['规格型号']!.value).toBe('7.5cm×4.5m')
    expect(ins[0]!['经办人']!.value).toBe('admin')
    // a note that looks like a formula stays text
    expect(ins[0]!['备注']).toMatchObject({ type: 'string', value: '=1+1' })

    const outs = sheet('出库表')
    expect(outs).toHaveLength(1)
    expect(outs[0]!['用途']!.value).toBe('借用')
    expect(outs[0]!['数量']!.value).toBe(12)
    expect(serialToIso(outs[0]!['日期']!.value as number)).toBe('2026-12-04 10:30')

    const counts = sheet('盘点表')
    expect(Object.keys(counts[0]!)).toEqual(['日期', '物资编码', '物资名称', '批次号', '账面数量', '实盘数量', '盈亏数量', '盘点人', '备注'])
    expect(counts.map((x) => [x['物资编码']?.value ?? null, x['账面数量']!.value, x['实盘数量']!.value, x['盈亏数量']!.value])).toEqual([
      ['1010101', 18, 17, -1],
      ['1010202', 0, 0, 0],
    ])

    const offs = sheet('报废表')
    expect(Object.keys(offs[0]!)).toEqual(['日期', '物资编码', '物资名称', '批次号', '数量', '报废原因', '经办人', '备注'])
    expect(offs.map((x) => [x['批次号']!.value, x['数量']!.value, x['报废原因']!.value, x['备注']!.value])).toEqual([[b.id, 10, '过期', '过期销毁']])
  })
})
