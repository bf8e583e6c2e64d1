import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { createUser, login, startTestService, type TestService } from '../../helpers/service.ts'
import { routineStation, sh, submitRun } from './routine-fixture.ts'

describe('inspections on an injected clock in Asia/Shanghai: due times, overdue, failed items, runs', () => {
  let t: TestService
  let responder: string
  let viewer: string
  // a Friday
  const time = new FakeTime(sh('2026-12-04T12:00'))
  const until = (local: string) => time.advance(sh(local) - time.now())
  const inspections = async () => (await t.api(`/api/stations/${t.station.id}/inspections`, { token: viewer })).body as any[]
  const inspection = async (id: string) => (await inspections()).find((i) => i.id === id)
  const alertsOn = async (rule: string, subject: string) =>
    ((await t.api(`/api/alerts?station=${t.station.id}`)).body as any[]).filter((a) => a.rule === rule && a.subject === subject)
  const all = { doors: { ok: true }, spreader: { ok: true }, extinguisher: { ok: true } }

  beforeAll(async () => {
    t = await startTestService({ stations: [routineStation()], clock: time, timers: time })
    responder = await createUser(t, 'li-responder', 'responder')
    viewer = await createUser(t, 'wang-viewer', 'viewer')
  })
  afterAll(() => t?.stop())

  it('lists each inspection with its next due time in the station zone, not done yet', async () => {
    const [weekly, monthly] = await inspections()
    expect(weekly).toMatchObject({ id: 'weekly', every: 'week', due: 'mon 09:00', lastDoneAt: null, lastDoneBy: null, nextDueAt: sh('2026-12-07T09:00'), overdue: false })
    expect(weekly.items.map((i: any) => i.id)).toEqual(['doors', 'spreader', 'extinguisher'])
    expect(monthly).toMatchObject({ id: 'monthly', nextDueAt: sh('2027-01-01T09:00'), overdue: false })
  })

  it('raises inspection-overdue at the due time across the week end, not a second before', async () => {
    until('2026-12-07T08:59:59')
    expect(await alertsOn('inspection-overdue', 'inspection:weekly')).toEqual([])
    until('2026-12-07T09:00')
    const [a] = await alertsOn('inspection-overdue', 'inspection:weekly')
    expect(a).toMatchObject({ severity: 'warning', state: 'active', openedAt: sh('2026-12-07T09:00') })
    expect(a.message).toContain('2026-12-07 09:00')
    expect(await inspection('weekly')).toMatchObject({ overdue: true, nextDueAt: sh('2026-12-07T09:00') })
    // the readiness board counts it like any real alert
    expect((await t.api(`/api/stations/${t.station.id}`)).body.activeAlerts).toBe(1)
  })

  it('refuses a run that leaves an item unanswered or names another, and a viewer', async () => {
    const missing = await submitRun(t, 'weekly', { doors: { ok: true }, extinguisher: { ok: true } }, responder)
    expect(missing.status).toBe(400)
    expect(missing.body.error.message).toContain('body.results.spreader')
    const unknown = await submitRun(t, 'weekly', { ...all, roof: { ok: true } }, responder)
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.message).toContain('body.results.roof')
    const notBool = await submitRun(t, 'weekly', { ...all, doors: { ok: 'yes' } as any }, responder)
    expect(notBool.status).toBe(400)
    expect(notBool.body.error.message).toContain('body.results.doors.ok')
    expect((await submitRun(t, 'weekly', all, viewer)).status).toBe(403)
    expect((await submitRun(t, 'nope', all, responder)).status).toBe(404)
  })

  it('a late run resolves the overdue alert, raises inspection-failed for an item not ok, and sets the next due time', async () => {
    until('2026-12-07T10:30')
    const r = await submitRun(t, 'weekly', { ...all, extinguisher: { ok: false, note: '压力表指针在红区' } }, responder)
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ inspection: 'weekly', t: sh('2026-12-07T10:30'), by: 'li-responder', dueAt: sh('2026-12-07T09:00'), late: true })
    const [overdue] = await alertsOn('inspection-overdue', 'inspection:weekly')
    expect(overdue).toMatchObject({ state: 'resolved', resolvedBy: 'system' })
    const [failed] = await alertsOn('inspection-failed', 'inspection:weekly:extinguisher')
    expect(failed).toMatchObject({ severity: 'warning', state: 'active' })
    expect(failed.message).toContain('压力表指针在红区')
    expect(await inspection('weekly')).toMatchObject({ lastDoneAt: sh('2026-12-07T10:30'), lastDoneBy: 'li-responder', nextDueAt: sh('2026-12-14T09:00'), overdue: false })
  })

  it('a failed item stays until a responder resolves it, even when the next run finds it ok', async () => {
    until('2026-12-13T18:00')
    expect((await submitRun(t, 'weekly', all, responder)).body).toMatchObject({ dueAt: sh('2026-12-14T09:00'), late: false })
    const [failed] = await alertsOn('inspection-failed', 'inspection:weekly:extinguisher')
    expect(failed.state).toBe('active')
    const resolved = await t.api(`/api/alerts/${failed.id}/resolve`, { method: 'POST', body: { note: '已更换灭火器' }, token: responder })
    expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'li-responder' })
  })

  it('a run done early counts for the coming due time: no overdue on that Monday', async () => {
    until('2026-12-14T09:00:01')
    expect((await alertsOn('inspection-overdue', 'inspection:weekly')).filter((a) => a.state !== 'resolved')).toEqual([])
    expect(await inspection('weekly')).toMatchObject({ nextDueAt: sh('2026-12-21T09:00'), overdue: false })
  })

  it('the monthly inspection falls due on the 1st across the month and year end', async () => {
    until('2027-01-01T08:59')
    expect(await alertsOn('inspection-overdue', 'inspection:monthly')).toEqual([])
    until('2027-01-01T09:00')
    const [a] = await alertsOn('inspection-overdue', 'inspection:monthly')
    expect(a).toMatchObject({ state: 'active', openedAt: sh('2027-01-01T09:00') })
  })

  it('lists runs newest first to staff and up (not viewers), and keeps each run in the audit trail', async () => {
    const runs = await t.api(`/api/stations/${t.station.id}/inspections/weekly/runs`)
    expect(runs.status).toBe(200)
    expect(runs.body.map((r: any) => r.t)).toEqual([sh('2026-12-13T18:00'), sh('2026-12-07T10:30')])
    expect(runs.body[1].results.extinguisher).toEqual({ ok: false, note: '压力表指针在红区' })
    expect((await t.api(`/api/stations/${t.station.id}/inspections/weekly/runs`, { token: viewer })).status).toBe(403)
    const events = (await t.api(`/api/stations/${t.station.id}/events?kinds=inspection-run`)).body as any[]
    const mine = events.filter((e) => e.kind === 'inspection-run')
    expect(mine).toHaveLength(2)
    expect(mine.find((e) => e.t === sh('2026-12-07T10:30'))).toMatchObject({ subject: 'inspection:weekly', user: 'li-responder' })
  })

  it('keeps runs and due times across a restart', async () => {
    await t.restart()
    viewer = await login(t, 'wang-viewer', 'wang-viewer-password')
    expect(await inspection('weekly')).toMatchObject({ lastDoneBy: 'li-responder', nextDueAt: sh('2026-12-21T09:00'), overdue: true })
    expect((await alertsOn('inspection-overdue', 'inspection:monthly')).filter((a) => a.state === 'active')).toHaveLength(1)
  })

  it('an inspection taken out of the station file has its overdue alert resolved at start-up', async () => {
    const json = { ...t.station.json, inspections: (t.station.json.inspections as any[]).filter((i) => i.id !== 'monthly') }
    writeFileSync(join(t.stationsDir, `${t.station.id}.json`), JSON.stringify(json, null, 2))
    await t.restart()
    expect((await t.api(`/api/stations/${t.station.id}/inspections`)).body.map((i: any) => i.id)).toEqual(['weekly'])
    const [a] = await alertsOn('inspection-overdue', 'inspection:monthly')
    expect(a).toMatchObject({ state: 'resolved', resolvedBy: 'system' })
  })
})
