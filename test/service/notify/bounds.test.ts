// Contract v2 §B bounds through the real service: storm merging within 20 messages a minute,
// a failing receiver that recovers, quiet hours that hold a warning (not a critical) and release it.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { hashSecret } from '../../../src/auth/secret-hash.ts'
import { eventually, publishState, startTestService, type TestService } from '../../helpers/service.ts'
import { tempDir, type FixtureStation } from '../../helpers/station-fixture.ts'
import { StandIn } from '../../helpers/vendor-stand-in.ts'
import { sleep } from '../../helpers/wait.ts'
import { linkedAlerts, notifyFile, S, shanghaiHHMM, startNotifyRig, type NotifyRig } from '../../helpers/notify-rig.ts'

let rig: NotifyRig | undefined
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  await rig?.stop()
  rig = undefined
  for (const c of cleanup.splice(0)) await c()
})

/** A station with `n` doors, each on its own door sensor, and no keys: any opening is forced. */
function manyDoors(id: string, n: number): FixtureStation {
  const secrets: Record<string, string> = {}
  const doors = Array.from({ length: n }, (_, i) => ({ id: `d${i}`, name: `门${i}` }))
  const devices = doors.map((d) => {
    const dev = `${id}-${d.id}`
    secrets[dev] = `secret-${dev}-0123456789`
    return { id: dev, type: 'door', door: d.id, secretHash: hashSecret(secrets[dev]) }
  })
  return { id, secrets, json: { id, name: '风暴站', timezone: 'Asia/Shanghai', doors, keys: [], equipment: [], devices } }
}

describe('alert storm', () => {
  test('30 forced doors within seconds become individual messages and merged summaries: at most 20 a minute, every alert named once', async () => {
    const wecom = await new StandIn().start()
    cleanup.push(() => wecom.close())
    const dir = tempDir('sw-notify-storm-')
    const file = join(dir, 'notify.json')
    writeFileSync(file, JSON.stringify(notifyFile({ wecom: wecom.url, dingtalk: wecom.url, sms: wecom.url }, [{ stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['team-wecom'] }] }], { onCall: [] })))
    const station = manyDoors('storm', 30)
    const t: TestService = await startTestService({ stations: [station], env: { NOTIFY_CONFIG: file } })
    cleanup.push(() => t.stop())
    const clients = await Promise.all(Object.keys(station.secrets).map((dev) => t.device(dev)))
    const devs = Object.keys(station.secrets)
    await Promise.all(clients.map((c, i) => publishState(c, 'storm', devs[i]!, { ts: Date.now(), seq: 1, open: false })))

    const start = Date.now()
    await Promise.all(clients.map((c, i) => publishState(c, 'storm', devs[i]!, { ts: Date.now(), seq: 2, open: true })))
    const alerts = await eventually(async () => {
      const list = ((await t.api('/api/alerts?state=active')).body as any[]).filter((a) => a.rule === 'door-forced')
      return list.length === 30 && list
    }, 5000, '30 door-forced alerts')
    expect(Date.now() - start).toBeLessThan(10_000)
    const ids = new Set(alerts.map((a: any) => a.id))

    // Every alert reaches the group, one by one or in a summary, within seconds.
    await eventually(() => new Set(wecom.requests.flatMap(linkedAlerts)).size === 30, 15_000, 'every alert named in a WeCom message')
    await sleep(1000)
    expect(wecom.requests.length).toBeLessThanOrEqual(20)
    const named = wecom.requests.flatMap(linkedAlerts)
    expect(new Set(named)).toEqual(ids)
    expect(named).toHaveLength(30) // none twice
    const summaries = wecom.requests.filter((r) => linkedAlerts(r).length > 1)
    expect(summaries.length).toBeGreaterThanOrEqual(1)
    expect(summaries[0]!.body.markdown.content).toContain('合并通知')

    const statuses = await Promise.all(alerts.map(async (a: any) => ((await t.api(`/api/alerts/${a.id}/notifications`)).body as any[]).map((r) => r.status)))
    for (const s of statuses) expect(s.length === 1 && ['sent', 'merged'].includes(s[0])).toBe(true)
    expect(statuses.filter((s) => s[0] === 'merged').length).toBeGreaterThanOrEqual(10)
  }, 60_000)
})

describe('a receiver that fails, then recovers', () => {
  test('every message arrives once; the log shows the failures and the sends', async () => {
    rig = await startNotifyRig([{ stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['team-wecom'] }] }], {
      answers: { wecom: (_r, n) => (n <= 3 ? { status: 502, json: { error: 'bad gateway' } } : { json: { errcode: 0, errmsg: 'ok' } }) },
    })
    const main = await rig.forceDoor('main')
    const room = await rig.forceDoor('equipment-room')
    const okRequests = () => rig!.wecom.requests.slice(3)
    await eventually(() => new Set(okRequests().flatMap(linkedAlerts)).size === 2, 15_000, 'both alerts delivered after the receiver recovered')
    await sleep(2500)
    const delivered = okRequests().flatMap(linkedAlerts).sort()
    expect(delivered).toEqual([main.id, room.id].sort())
    const log = await rig.notifications(main.id)
    expect(log.map((r) => r.status)).toContain('failed')
    expect(log.filter((r) => r.status === 'sent')).toHaveLength(1)
    expect(log.find((r) => r.status === 'failed').error).toMatch(/502/)
    expect((await rig.notifications(room.id)).filter((r) => r.status === 'sent')).toHaveLength(1)
  }, 30_000)
})

describe('quiet hours', () => {
  test('a warning is held until the window ends and then sent; a critical in the same window goes at once', async () => {
    // The window is [a minute ago, the next whole minute) in the station's time zone (Asia/Shanghai).
    if (60_000 - (Date.now() % 60_000) < 8_000) await sleep(60_000 - (Date.now() % 60_000) + 100)
    const from = shanghaiHHMM(-1)
    const to = shanghaiHHMM(1)
    const releaseAt = Math.ceil(Date.now() / 60_000) * 60_000
    rig = await startNotifyRig([{ stations: [S], severities: ['critical', 'warning'], quietHours: { from, to }, steps: [{ afterSeconds: 0, channels: ['team-wecom'] }] }])
    await rig.publish('shelf', { items: { 'spreader-1': true, extinguisher: true, water: 2 } })
    const warning = await eventually(async () => ((await rig!.t.api('/api/alerts?state=active')).body as any[]).find((a) => a.rule === 'stock-low'), 3000, 'the stock-low warning')
    expect(warning.severity).toBe('warning')
    await eventually(async () => (await rig!.notifications(warning.id)).some((r) => r.status === 'held'), 2000, 'the warning recorded as held')
    const critical = await rig.forceDoor()
    await eventually(() => rig!.wecom.requests.some((r) => linkedAlerts(r).includes(critical.id)), 1500, 'the critical alert sent despite quiet hours')
    expect(rig.wecom.requests.some((r) => linkedAlerts(r).includes(warning.id))).toBe(false)
    expect(Date.now()).toBeLessThan(releaseAt)

    await eventually(() => rig!.wecom.requests.some((r) => linkedAlerts(r).includes(warning.id)), releaseAt - Date.now() + 3000, 'the warning released at the end of quiet hours')
    const sent = rig.wecom.requests.find((r) => linkedAlerts(r).includes(warning.id))!
    expect(sent.at).toBeGreaterThanOrEqual(releaseAt - 50)
    expect(sent.body.markdown.content).toContain('物资库存不足')
    const rows = await eventually(async () => {
      const r = await rig!.notifications(warning.id)
      return r.some((x) => x.status === 'sent') && r
    }, 2000, 'the sent row')
    expect(rows.map((r: any) => r.status)).toEqual(['held', 'sent'])
  }, 90_000)
})
