import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { createUser, eventually, publishState, publishStatus, startTestService, type TestService } from '../../helpers/service.ts'

/** Three stations, two of one district and one without, through the real service. */
describe('GET /api/overview (contract v2 §E)', () => {
  let t: TestService
  let viewer: string
  const district = '七里河街道'
  const a = fixtureStation('ov-a')
  const b = fixtureStation('ov-b')
  const c = fixtureStation('ov-c')
  a.json.district = district
  b.json.district = district

  const overview = async (token?: string) => {
    const res = await t.api('/api/overview', token === undefined ? {} : { token })
    expect(res.status).toBe(200)
    return res.body.stations as any[]
  }

  beforeAll(async () => {
    t = await startTestService({ stations: [a, b, c] })
    viewer = await createUser(t, 'ov-viewer', 'viewer')
  })
  afterAll(async () => {
    await t?.stop()
  })

  it('refuses a request without a session, and answers a viewer', async () => {
    expect((await t.api('/api/overview', { token: null })).status).toBe(401)
    expect((await t.api('/api/overview', { token: 'not-a-session' })).status).toBe(401)
    expect((await overview(viewer)).length).toBe(3)
  })

  it('lists every station with the contract fields; district only where the station file has one', async () => {
    const rows = await overview(viewer)
    // nothing reported yet: all degraded at 0, so the order is by id
    expect(rows).toEqual([
      { id: 'ov-a', name: '测试站', district, level: 'degraded', readiness: 0, activeAlerts: 0 },
      { id: 'ov-b', name: '测试站', district, level: 'degraded', readiness: 0, activeAlerts: 0 },
      { id: 'ov-c', name: '测试站', level: 'degraded', readiness: 0, activeAlerts: 0 },
    ])
    // the station status carries the district too (the dashboard groups by it from /ws)
    expect((await t.api('/api/stations/ov-a')).body.district).toBe(district)
    expect((await t.api('/api/stations/ov-c')).body).not.toHaveProperty('district')
  })

  it('puts a not-ready station first and a higher readiness last, with the worst severity of real alerts', async () => {
    // ov-c: a door opened with every key in the box → forced (critical) → not-ready
    const doorC = await t.device('ov-c-door-main')
    await publishState(doorC, 'ov-c', 'ov-c-door-main', { ts: Date.now(), seq: 1, open: true })
    // ov-b: its door device online with a low battery → readiness above 0, an info alert
    const doorB = await t.device('ov-b-door-main')
    await publishStatus(doorB, 'ov-b', 'ov-b-door-main', { online: true, battery: 5 })
    await publishState(doorB, 'ov-b', 'ov-b-door-main', { ts: Date.now(), seq: 1, open: false })
    // ov-a: a drill, which goes the alert path but never counts here
    expect((await t.api('/api/stations/ov-a/drills', { method: 'POST', body: { rule: 'door-forced' } })).status).toBe(201)

    await eventually(async () => {
      const rows = await overview(viewer)
      expect(rows.map((r) => r.id)).toEqual(['ov-c', 'ov-a', 'ov-b'])
      expect(rows[0]).toMatchObject({ level: 'not-ready', worstSeverity: 'critical', activeAlerts: 1 })
      expect(rows[1]).toMatchObject({ level: 'degraded', readiness: 0, activeAlerts: 0 })
      expect(rows[1]).not.toHaveProperty('worstSeverity')
      expect(rows[2]).toMatchObject({ level: 'degraded', worstSeverity: 'info', district })
      expect(rows[2].readiness).toBeGreaterThan(0)
      return true
    })
  })
})
