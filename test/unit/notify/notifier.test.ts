import { afterEach, describe, expect, it } from 'vitest'
import { NotifierRig, alertIdsIn } from './notifier-rig.ts'

const people = [
  { id: 'zhang', name: '张三', phone: '+8613800000001' },
  { id: 'li', name: '李四', phone: '+8613800000002' },
  { id: 'wang', name: '王五', phone: '+8613800000003' },
]
const onCall = [
  { stations: ['xinhua'], days: 'mon-fri', from: '08:00', to: '20:00', people: ['zhang'] },
  { stations: ['*'], days: 'mon-fri', from: '20:00', to: '08:00', people: ['li'] },
]
const file =
  (routes: object[]) =>
  ({ wecom, sms }: { wecom: string; sms: string }) => ({
    publicUrl: 'http://station.test',
    channels: {
      group: { type: 'wecom', url: wecom },
      sms: { type: 'sms-aliyun', accessKeyId: 'AK', accessKeySecret: 'SK', signName: '新华', templateCode: 'SMS_1', endpoint: sms },
    },
    people,
    onCall,
    routes,
  })
const escalation = {
  stations: ['*'],
  severities: ['critical'],
  repeatEverySeconds: 60,
  steps: [
    { afterSeconds: 0, channels: ['group'] },
    { afterSeconds: 30, channels: ['sms'], to: 'on-call' },
    { afterSeconds: 45, channels: ['sms'], to: ['wang'] },
  ],
}
const quiet = { stations: ['*'], severities: ['warning', 'info'], quietHours: { from: '22:00', to: '07:00' }, steps: [{ afterSeconds: 0, channels: ['group'] }] }

let rig: NotifierRig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})
const phones = (r: NotifierRig) => r.sms.requests.map((q) => q.query.get('PhoneNumbers'))

describe('escalation', () => {
  it('step 0 at once, each step at its time to whom it names, then the last step repeats while active', async () => {
    rig = await new NotifierRig(file([escalation, quiet])).start()
    const a = rig.open()
    await rig.advance(0)
    expect(rig.wecom.requests.map(alertIdsIn)).toEqual([[a.id]])
    expect(rig.wecom.requests[0]!.body.markdown.content).toContain('【紧急】新华社区应急服务站 · 门被强行打开')
    await rig.advance(29_000)
    expect(rig.sms.requests).toHaveLength(0)
    await rig.advance(1000)
    expect(phones(rig)).toEqual(['+8613800000001']) // the day shift, Friday 10:00 in Shanghai
    await rig.advance(15_000)
    expect(phones(rig)).toEqual(['+8613800000001', '+8613800000003'])
    await rig.advance(60_000)
    expect(phones(rig)).toEqual(['+8613800000001', '+8613800000003', '+8613800000003'])
    await rig.advance(60_000)
    expect(phones(rig)).toHaveLength(4)
    expect((await rig.notifier.notificationsFor(a.id)).map((d) => [d.step, d.channel, d.to, d.status])).toEqual([
      [0, 'group', undefined, 'sent'],
      [1, 'sms', 'zhang', 'sent'],
      [2, 'sms', 'wang', 'sent'],
      [2, 'sms', 'wang', 'sent'],
      [2, 'sms', 'wang', 'sent'],
    ])
    rig.ack(a)
    await rig.advance(600_000, 10_000)
    expect(phones(rig)).toHaveLength(4)
    expect(rig.wecom.requests).toHaveLength(1)
  })

  it('an acknowledgement before step 1 stops it; the resolve is announced on the step-0 channels only', async () => {
    rig = await new NotifierRig(file([escalation])).start()
    const a = rig.open()
    await rig.advance(10_000)
    rig.ack(a)
    await rig.advance(120_000)
    expect(rig.sms.requests).toHaveLength(0)
    rig.resolve(a, 'li')
    await rig.advance(0)
    expect(rig.wecom.requests).toHaveLength(2)
    const announce = rig.wecom.requests[1]!.body.markdown.content as string
    expect(announce).toContain('【已解除】新华社区应急服务站')
    expect(announce).toContain('li')
    expect(rig.sms.requests).toHaveLength(0)
    expect((await rig.notifier.notificationsFor(a.id)).map((d) => [d.step, d.channel, d.status])).toEqual([
      [0, 'group', 'sent'],
      [-1, 'group', 'sent'],
    ])
  })

  it('at night the on-call step texts the night shift (windows wrap past midnight)', async () => {
    rig = await new NotifierRig(file([escalation]), Date.parse('2026-12-04T23:50:00+08:00')).start()
    rig.open()
    await rig.advance(30_000)
    expect(phones(rig)).toEqual(['+8613800000002'])
  })

  it('a drill is marked in every message', async () => {
    rig = await new NotifierRig(file([escalation])).start()
    rig.open('critical', 'xinhua', { drill: true })
    await rig.advance(30_000)
    expect(rig.wecom.requests[0]!.body.markdown.content).toMatch(/^### 【演练】【紧急】/)
    expect(JSON.parse(rig.sms.requests[0]!.query.get('TemplateParam')!).alert).toBe('【演练】门被强行打开')
  })
})

describe('quiet hours', () => {
  it('hold a warning and release it when they end if still active; never hold a critical alert', async () => {
    rig = await new NotifierRig(file([escalation, quiet]), Date.parse('2026-12-04T23:00:00+08:00')).start()
    const held = rig.open('warning')
    const gone = rig.open('warning', 'xinhua', { subject: 'door:equipment-room' })
    const critical = rig.open('critical')
    await rig.advance(1000)
    expect(rig.wecom.requests.map(alertIdsIn)).toEqual([[critical.id]])
    expect(await rig.notifier.notificationsFor(held.id)).toEqual([{ at: expect.any(Number), step: 0, channel: 'group', status: 'held' }])
    rig.ack(critical)
    rig.resolve(gone)
    // 07:00 Shanghai is 8 hours after 23:00
    await rig.advance(8 * 3600_000 - 2 * 60_000, 60_000)
    expect(rig.wecom.requests).toHaveLength(1)
    await rig.advance(2 * 60_000, 1000)
    expect(rig.wecom.requests.map(alertIdsIn)).toEqual([[critical.id], [held.id]])
    expect(rig.time.now()).toBe(Date.parse('2026-12-05T07:00:01+08:00'))
    expect((await rig.notifier.notificationsFor(held.id)).map((d) => d.status)).toEqual(['held', 'sent'])
    expect((await rig.notifier.notificationsFor(gone.id)).map((d) => d.status)).toEqual(['held'])
  })
})

describe('bounds', () => {
  it('30 alerts of one station in 10 s become one summary after the first 5, within 20 a minute, every alert in exactly one message', async () => {
    rig = await new NotifierRig(file([escalation, quiet])).start()
    const alerts = []
    for (let i = 0; i < 30; i++) {
      alerts.push(rig.open(i % 3 === 0 ? 'critical' : 'warning', 'xinhua', { subject: `door:d${i}` }))
      await rig.advance(333, 333)
    }
    // the first summary 5 s after the storm began, the next a minute after it
    await rig.advance(60_000 - 10_000)
    expect(rig.wecom.requests).toHaveLength(6)
    await rig.advance(10_000)
    const requests = rig.wecom.requests
    expect(requests).toHaveLength(7)
    const ids = requests.flatMap(alertIdsIn)
    expect([...ids].sort()).toEqual(alerts.map((a) => a.id).sort())
    expect(requests[5]!.body.markdown.content).toContain('16 条告警（合并通知）')
    const summary = requests[6]!.body.markdown.content as string
    expect(summary).toContain('9 条告警（合并通知）')
    // critical first
    const lines = summary.split('\n').slice(1)
    const firstWarning = lines.findIndex((l) => l.includes('[警告]'))
    expect(lines.slice(firstWarning).some((l) => l.includes('[紧急]'))).toBe(false)
    const statuses = await Promise.all(alerts.map(async (a) => (await rig!.notifier.notificationsFor(a.id)).find((d) => d.step === 0)?.status))
    expect(statuses.filter((s) => s === 'sent')).toHaveLength(5)
    expect(statuses.filter((s) => s === 'merged')).toHaveLength(25)
  })

  it('past 20 messages a minute on a channel, the rest go out as one summary when the rate allows', async () => {
    const route = { stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['group'] }] }
    rig = await new NotifierRig(file([route])).start()
    const alerts = []
    // 25 stations, one alert each: no storm, only the channel's rate
    for (let i = 0; i < 25; i++) {
      alerts.push(rig.open('critical', `st${i}`))
      await rig.advance(400, 400)
    }
    await rig.advance(40_000)
    expect(rig.wecom.requests).toHaveLength(20)
    await rig.advance(20_000)
    expect(rig.wecom.requests).toHaveLength(21)
    expect(rig.wecom.requests[20]!.body.markdown.content).toContain('5 条告警（合并通知）')
    expect(rig.wecom.requests.flatMap(alertIdsIn).sort()).toEqual(alerts.map((a) => a.id).sort())
  })

  it('a receiver that fails then recovers gets every message once, and the failures are recorded', async () => {
    rig = await new NotifierRig(file([escalation]), undefined, {
      wecom: (_r, n) => (n <= 3 ? { status: 502 } : { json: { errcode: 0, errmsg: 'ok' } }),
    }).start()
    const alerts = [rig.open('critical', 's1'), rig.open('critical', 's2'), rig.open('critical', 's3')]
    await rig.advance(30_000, 500)
    const delivered = rig.wecom.requests.slice(3).flatMap(alertIdsIn)
    expect(delivered.sort()).toEqual(alerts.map((a) => a.id).sort())
    const logs = await Promise.all(alerts.map(async (a) => (await rig!.notifier.notificationsFor(a.id)).filter((d) => d.step === 0)))
    expect(logs.map((l) => l.map((d) => d.status))).toEqual([
      ['failed', 'sent'],
      ['failed', 'sent'],
      ['failed', 'sent'],
    ])
    expect(logs[0]![0]!.error).toBe('HTTP 502')
    expect(rig.notifier.status().group).toMatchObject({ type: 'wecom', queued: 0, lastSuccessAt: expect.any(Number), lastError: { message: 'HTTP 502' } })
  })

  it('an acknowledgement stops a message in the middle of its retries', async () => {
    rig = await new NotifierRig(file([escalation]), undefined, { wecom: () => ({ status: 500 }) }).start()
    const a = rig.open()
    await rig.advance(3000, 500)
    const tried = rig.wecom.requests.length
    expect(tried).toBeGreaterThanOrEqual(2)
    expect(rig.notifier.status().group!.queued).toBe(1)
    rig.ack(a)
    await rig.advance(600_000, 5000)
    expect(rig.wecom.requests).toHaveLength(tried)
    expect(rig.sms.requests).toHaveLength(0)
    expect(rig.notifier.status().group!.queued).toBe(0)
  })

  it('handleAlertChange returns at once while a receiver hangs', async () => {
    rig = await new NotifierRig(file([escalation]), undefined, { wecom: () => ({ delayMs: 1500 }) }).start()
    rig.open('critical', 's1')
    rig.time.advance(0)
    const t0 = performance.now()
    for (let i = 0; i < 200; i++) rig.open('critical', `s${i % 3}`)
    expect(performance.now() - t0).toBeLessThan(500)
  })
})

describe('admin surfaces', () => {
  it('sendTest sends a test message now and answers with its delivery; status shows each channel', async () => {
    rig = await new NotifierRig(file([escalation])).start()
    expect(await rig.notifier.sendTest('group')).toEqual({ at: rig.time.now(), channel: 'group', status: 'sent' })
    expect(rig.wecom.requests[0]!.body.markdown.content).toContain('测试消息')
    expect(await rig.notifier.sendTest('sms')).toEqual({ at: rig.time.now(), channel: 'sms', status: 'sent' })
    expect(rig.sms.requests[0]!.query.get('PhoneNumbers')).toBe('+8613800000001')
    expect(await rig.notifier.sendTest('nope')).toBeUndefined()
    rig.wecom.answer = () => ({ json: { errcode: 45009, errmsg: 'api freq out of limit' } })
    expect(await rig.notifier.sendTest('group')).toMatchObject({ status: 'failed', error: 'errcode 45009: api freq out of limit' })
    expect(rig.notifier.status()).toEqual({
      group: { type: 'wecom', lastSuccessAt: rig.time.now(), lastError: { at: rig.time.now(), message: 'errcode 45009: api freq out of limit' }, queued: 0 },
      sms: { type: 'sms-aliyun', lastSuccessAt: rig.time.now(), queued: 0 },
    })
  })
})
