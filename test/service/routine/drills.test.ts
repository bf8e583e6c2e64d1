import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { fetchMetric } from '../../helpers/metrics.ts'
import { createUser, eventually } from '../../helpers/service.ts'
import { RULES, S, startAlertRig, type AlertRig } from '../alerts/alert-helpers.ts'
import { sh } from './routine-fixture.ts'

/**
 * Real alerts and a drill on one station, on an injected clock, with every acknowledgement at a
 * known second so the time-to-acknowledge figures can be checked against values worked out by hand:
 *   real:  door-forced 45 s (li), door-forced 120 s (zhou), key-overdue 300 s (li)
 *   drill: zhou 30 s, li 90 s
 */
describe('drills and time to acknowledge', () => {
  let rig: AlertRig
  let li: string
  let zhou: string
  let viewer: string
  let drill: any
  const from = sh('2026-12-10T00:00')
  const api = (path: string, init?: Parameters<AlertRig['t']['api']>[1]) => rig.t.api(path, init)
  const ack = (id: string, token: string) => api(`/api/alerts/${id}/ack`, { method: 'POST', body: {}, token })
  const status = async () => (await api(`/api/stations/${S}`)).body

  // the webhook: the outbound end of the alert path a drill must walk like a real alert
  const hooked: any[] = []
  let hook: Server

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => (hooked.push(JSON.parse(body)), res.end('ok')))
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
    rig = await startAlertRig(RULES, { WEBHOOK_URL: url }, new FakeTime(sh('2026-12-10T10:00')))
    li = await createUser(rig.t, 'li', 'responder')
    zhou = await createUser(rig.t, 'zhou', 'responder')
    viewer = await createUser(rig.t, 'viewer', 'viewer')
  })
  afterAll(async () => {
    await rig?.t.stop()
    await new Promise<void>((r) => hook.close(() => r()))
  })

  it('real alerts acknowledged at known seconds', async () => {
    await rig.door(true)
    const first = await rig.waitAlert('door-forced', 'door:main')
    await rig.advance(45)
    expect((await ack(first.id, li)).body).toMatchObject({ state: 'acknowledged', ackedBy: 'li' })
    await rig.door(false)
    await api(`/api/alerts/${first.id}/resolve`, { method: 'POST', body: {}, token: li })
    await rig.advance(60)
    await rig.door(true)
    const second = await rig.waitAlert('door-forced', 'door:main', (a) => a.state === 'active')
    await rig.advance(120)
    expect((await ack(second.id, zhou)).status).toBe(200)
    await rig.door(false)
    await api(`/api/alerts/${second.id}/resolve`, { method: 'POST', body: {}, token: zhou })
    await rig.keys({ '1': null, '2': 'key-room-1' }, 'li')
    await rig.advance(3600)
    const overdue = await rig.waitAlert('key-overdue', 'key:key-main-1')
    await rig.advance(300)
    expect((await ack(overdue.id, li)).status).toBe(200)
    await rig.keys({ '1': 'key-main-1', '2': 'key-room-1' })
  })

  it('a drill raises an alert marked drill and 演练 that goes the alert path but leaves readiness and real counts alone', async () => {
    const before = await status()
    expect(before.activeAlerts).toBe(0)
    expect((await api(`/api/stations/${S}/drills`, { method: 'POST', body: {}, token: viewer })).status).toBe(403)
    expect((await api(`/api/stations/${S}/drills`, { method: 'POST', body: { rule: 'fire' }, token: li })).body.error.message).toContain('body.rule')
    const r = await api(`/api/stations/${S}/drills`, { method: 'POST', body: { rule: 'door-forced', note: '季度演练' }, token: li })
    expect(r.status).toBe(201)
    drill = r.body
    expect(drill).toMatchObject({ station: S, rule: 'door-forced', startedBy: 'li', responses: [] })
    expect(drill.alert).toMatchObject({ drill: true, rule: 'door-forced', subject: `drill:${drill.id}`, severity: 'critical', state: 'active' })
    expect(drill.alert.message).toContain('演练')
    // a second drill while one runs is refused
    expect((await api(`/api/stations/${S}/drills`, { method: 'POST', body: {}, token: li })).status).toBe(409)

    const s = await status()
    expect(s.activeAlerts).toBe(0)
    expect(s.level).toBe(before.level)
    expect(s.reasons).toEqual(before.reasons)
    expect(await fetchMetric(rig.t.svc.httpPort, 'stationwatch_alerts', { state: 'active' })).toBe(0)

    const listed = (await api(`/api/alerts?station=${S}`)).body as any[]
    expect(listed.find((a) => a.id === drill.alertId)).toMatchObject({ drill: true })
    const real = (await api(`/api/alerts?station=${S}&drill=false`)).body as any[]
    expect(real.some((a) => a.drill)).toBe(false)
    expect(real.length).toBe(listed.length - 1)
    expect((await api(`/api/alerts?drill=maybe`)).status).toBe(400)
    // the alert path: its opening is in the audit trail like any alert's
    const events = (await api(`/api/stations/${S}/events?kinds=alert-opened,drill-started`)).body as any[]
    expect(events.filter((e) => e.subject === `drill:${drill.id}`).map((e) => e.kind).sort()).toEqual(['alert-opened', 'drill-started'])
  })

  it('records each person who acknowledges, with their seconds to acknowledge', async () => {
    await rig.advance(30)
    expect((await ack(drill.alertId, zhou)).body).toMatchObject({ state: 'acknowledged', ackedBy: 'zhou', drill: true })
    await rig.advance(60)
    expect((await ack(drill.alertId, li)).status).toBe(200)
    expect((await ack(drill.alertId, zhou)).status).toBe(409)
    const [d] = (await api(`/api/drills?station=${S}`, { token: viewer })).body as any[]
    expect(d).toMatchObject({ id: drill.id, startedAt: drill.startedAt })
    expect(d.endedAt).toBeUndefined()
    expect(d.responses).toEqual([
      { user: 'zhou', ackedAt: drill.startedAt + 30_000, secondsToAck: 30 },
      { user: 'li', ackedAt: drill.startedAt + 90_000, secondsToAck: 90 },
    ])
  })

  it('the drill alert went out on the webhook like a real alert, marked drill', async () => {
    const mine = () => hooked.filter((h) => h.alert?.id === drill.alertId)
    await eventually(() => mine().length >= 2, 10_000, 'the drill opened and acknowledged on the webhook')
    expect(mine().map((h) => h.change).slice(0, 2)).toEqual(['opened', 'acknowledged'])
    expect(mine()[0].alert).toMatchObject({ drill: true, rule: 'door-forced', severity: 'critical' })
    expect(mine()[0].alert.message).toContain('演练')
  })

  it('ending a drill resolves its alert; it cannot end twice or be acknowledged after', async () => {
    await rig.advance(120)
    const r = await api(`/api/drills/${drill.id}/end`, { method: 'POST', body: {}, token: li })
    expect(r.body).toMatchObject({ endedAt: drill.startedAt + 210_000, endedBy: 'li' })
    expect((await api(`/api/alerts?station=${S}&state=resolved`)).body.find((a: any) => a.id === drill.alertId)).toMatchObject({ resolvedBy: 'li', drill: true })
    expect((await api(`/api/drills/${drill.id}/end`, { method: 'POST', body: {}, token: li })).status).toBe(409)
    expect((await ack(drill.alertId, viewer)).status).toBe(403)
    expect((await api('/api/drills/nope/end', { method: 'POST', body: {}, token: li })).status).toBe(404)
    expect((await api('/api/drills?station=nowhere')).status).toBe(404)
  })

  it('answers median and worst per station, rule and person, real and drill apart', async () => {
    const r = await api(`/api/ack-times?station=${S}&from=${from}&to=${rig.time.now() + 1}`)
    expect(r.status).toBe(200)
    expect(r.body.real).toMatchObject({ count: 3, medianSeconds: 120, worstSeconds: 300, unacknowledged: 0 })
    expect(r.body.real.byStation[S]).toEqual({ count: 3, medianSeconds: 120, worstSeconds: 300 })
    expect(r.body.real.byRule).toEqual({ 'door-forced': { count: 2, medianSeconds: 82.5, worstSeconds: 120 }, 'key-overdue': { count: 1, medianSeconds: 300, worstSeconds: 300 } })
    expect(r.body.real.byPerson).toEqual({ li: { count: 2, medianSeconds: 172.5, worstSeconds: 300 }, zhou: { count: 1, medianSeconds: 120, worstSeconds: 120 } })
    expect(r.body.drill).toMatchObject({ count: 2, medianSeconds: 60, worstSeconds: 90, unacknowledged: 0 })
    expect(r.body.drill.byPerson).toEqual({ li: { count: 1, medianSeconds: 90, worstSeconds: 90 }, zhou: { count: 1, medianSeconds: 30, worstSeconds: 30 } })
    // a period before anything happened
    expect((await api(`/api/ack-times?station=${S}&from=${from}&to=${from + 1000}`)).body.real).toMatchObject({ count: 0, medianSeconds: null, worstSeconds: null })
    expect((await api(`/api/ack-times`, { token: viewer })).status).toBe(403)
  })

  it('exposes a histogram of time to acknowledge, drills apart', async () => {
    const port = rig.t.svc.httpPort
    expect(await fetchMetric(port, 'stationwatch_time_to_ack_seconds_count', { drill: 'false' })).toBe(3)
    expect(await fetchMetric(port, 'stationwatch_time_to_ack_seconds_sum', { drill: 'false' })).toBe(465)
    expect(await fetchMetric(port, 'stationwatch_time_to_ack_seconds_count', { drill: 'true' })).toBe(2)
    expect(await fetchMetric(port, 'stationwatch_time_to_ack_seconds_sum', { drill: 'true' })).toBe(120)
    expect(await fetchMetric(port, 'stationwatch_time_to_ack_seconds_bucket', { drill: 'false', le: '60' })).toBe(1)
  })

  it('keeps training records', async () => {
    const body = { date: '2026-03-14', topic: '液压破拆工具使用', participants: ['李', '周', '王'], hours: 2.5 }
    expect((await api(`/api/stations/${S}/trainings`, { method: 'POST', body, token: viewer })).status).toBe(403)
    const bad = await api(`/api/stations/${S}/trainings`, { method: 'POST', body: { ...body, participants: [] }, token: li })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('body.participants')
    expect((await api(`/api/stations/${S}/trainings`, { method: 'POST', body: { ...body, date: '2026-02-30' }, token: li })).body.error.message).toContain('body.date')
    const r = await api(`/api/stations/${S}/trainings`, { method: 'POST', body, token: li })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ ...body, by: 'li', station: S })
    await api(`/api/stations/${S}/trainings`, { method: 'POST', body: { ...body, date: '2026-03-28', topic: '心肺复苏' }, token: li })
    const list = (await api(`/api/stations/${S}/trainings`, { token: viewer })).body as any[]
    expect(list.map((x) => x.date)).toEqual(['2026-03-28', '2026-03-14'])
    expect((await api(`/api/stations/${S}/trainings?from=2026-03-20`, { token: viewer })).body).toHaveLength(1)
  })
})
