// Contract v2 §B through the real service: a forced door walks the route's steps on local
// stand-ins for WeCom, DingTalk and Aliyun SMS (the official SDK pointed at a local endpoint).
import { afterEach, describe, expect, test } from 'vitest'
import { createUser, eventually } from '../../helpers/service.ts'
import { sleep } from '../../helpers/wait.ts'
import { dingtalkSignatureOk, linkedAlerts, PUBLIC_URL, S, SMS_KEY_ID, startNotifyRig, type NotifyRig } from '../../helpers/notify-rig.ts'

let rig: NotifyRig | undefined
afterEach(async () => {
  await rig?.stop()
  rig = undefined
})

const CRITICAL_CHAIN = [
  {
    stations: ['*'],
    severities: ['critical'],
    steps: [
      { afterSeconds: 0, channels: ['team-wecom', 'team-dingtalk'] },
      { afterSeconds: 2, channels: ['sms'], to: 'on-call' },
    ],
  },
]

describe('escalation steps', () => {
  test('a forced door reaches WeCom and DingTalk (signed) within 1 s; unacknowledged, SMS to the person on call follows at 2 s; the delivery log shows it all', async () => {
    rig = await startNotifyRig(CRITICAL_CHAIN)
    const opened = Date.now()
    const alert = await rig.forceDoor()
    await eventually(() => rig!.wecom.requests.length >= 1 && rig!.dingtalk.requests.length >= 1, 1000, 'step 0 on WeCom and DingTalk')
    expect(Date.now() - opened).toBeLessThan(1000 + 200)

    const w = rig.wecom.requests[0]!
    expect([w.method, w.path, w.query.get('key')]).toEqual(['POST', '/cgi-bin/webhook/send', 'WECOMKEY'])
    expect(w.body.msgtype).toBe('markdown')
    expect(w.body.markdown.content).toContain('测试站')
    expect(w.body.markdown.content).toContain('门被强行打开')
    expect(w.body.markdown.content).toContain('紧急')
    expect(w.body.markdown.content).toContain(`${PUBLIC_URL}/#/alerts/${alert.id}`)
    const d = rig.dingtalk.requests[0]!
    expect([d.method, d.path, d.query.get('access_token')]).toEqual(['POST', '/robot/send', 'DINGTOKEN'])
    expect(dingtalkSignatureOk(d)).toBe(true)
    expect(d.body).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringContaining('门被强行打开') } })
    expect(rig.sms.requests).toHaveLength(0)

    await eventually(() => rig!.sms.requests.length >= 1, 4000, 'step 1 (SMS)')
    const smsAt = rig.sms.requests[0]!.at
    expect(smsAt - alert.openedAt).toBeGreaterThanOrEqual(2000 - 50)
    expect(smsAt - alert.openedAt).toBeLessThan(2000 + 1500)
    const s = rig.sms.requests[0]!
    expect([s.method, s.path, s.headers['x-acs-action'], s.headers['x-acs-version']]).toEqual(['POST', '/', 'SendSms', '2017-05-25'])
    expect(s.query.get('PhoneNumbers')).toBe('+8613800000001')
    expect(s.query.get('SignName')).toBe('测试社区应急站')
    expect(s.query.get('TemplateCode')).toBe('SMS_100000001')
    expect(JSON.parse(s.query.get('TemplateParam')!)).toMatchObject({ station: '测试站', alert: '门被强行打开', severity: '紧急', link: `${PUBLIC_URL}/#/alerts/${alert.id}` })
    expect(String(s.headers.authorization)).toMatch(new RegExp(`^ACS3-HMAC-SHA256 Credential=${SMS_KEY_ID},`))

    const log = await eventually(async () => {
      const rows = await rig!.notifications(alert.id)
      return rows.length >= 3 && rows
    }, 2000, 'three delivery rows')
    expect(log.map((r: any) => [r.step, r.channel, r.to ?? null, r.status]).sort()).toEqual([
      [0, 'team-dingtalk', null, 'sent'],
      [0, 'team-wecom', null, 'sent'],
      [1, 'sms', 'zhang', 'sent'],
    ])
    for (const r of log) expect(typeof r.at).toBe('number')
    // beside the contract's fields: the channel's type and the person's name, for the dashboard
    expect(log.find((r: any) => r.channel === 'sms')).toMatchObject({ channelType: 'sms-aliyun', to: 'zhang', toName: '张三' })
    expect(log.find((r: any) => r.channel === 'team-wecom')).toMatchObject({ channelType: 'wecom' })
    // viewers may read it; an unknown alert is a 404
    const viewer = await createUser(rig.t, 'wang-viewer', 'viewer')
    expect((await rig.t.api(`/api/alerts/${alert.id}/notifications`, { token: viewer })).body).toEqual(log)
    expect((await rig.t.api('/api/alerts/no-such-alert/notifications')).status).toBe(404)
    expect((await rig.t.api(`/api/alerts/${alert.id}/notifications`, { token: null })).status).toBe(401)
    // the last step does not repeat without repeatEverySeconds
    await sleep(1500)
    expect(rig.sms.requests).toHaveLength(1)
    expect(rig.wecom.requests).toHaveLength(1)
  })

  test('acknowledged before step 1: no SMS; a resolve is announced on the step-0 channels', async () => {
    rig = await startNotifyRig(CRITICAL_CHAIN)
    const alert = await rig.forceDoor()
    await eventually(() => rig!.wecom.requests.length >= 1, 1000, 'step 0')
    const responder = await createUser(rig.t, 'li-responder', 'responder')
    expect((await rig.t.api(`/api/alerts/${alert.id}/ack`, { method: 'POST', body: { note: '已到场' }, token: responder })).status).toBe(200)
    expect(Date.now() - alert.openedAt).toBeLessThan(2000)
    await sleep(Math.max(0, alert.openedAt + 3500 - Date.now()))
    expect(rig.sms.requests).toHaveLength(0)
    expect((await rig.notifications(alert.id)).filter((r) => r.channel === 'sms')).toEqual([])

    expect((await rig.t.api(`/api/alerts/${alert.id}/resolve`, { method: 'POST', body: {}, token: responder })).status).toBe(200)
    await eventually(() => rig!.wecom.requests.length >= 2 && rig!.dingtalk.requests.length >= 2, 2000, 'the resolve announcement')
    expect(rig.wecom.requests[1]!.body.markdown.content).toContain('已解除')
    expect(rig.wecom.requests[1]!.body.markdown.content).toContain('li-responder')
    expect(rig.sms.requests).toHaveLength(0)
  })

  test('the last step repeats every repeatEverySeconds while active, and stops at the acknowledgement', async () => {
    rig = await startNotifyRig([{ stations: [S], severities: ['critical'], repeatEverySeconds: 1, steps: [{ afterSeconds: 0, channels: ['team-wecom'] }] }])
    const alert = await rig.forceDoor()
    await eventually(() => rig!.wecom.requests.length >= 3, 4000, 'step 0 and two repeats')
    const at = rig.wecom.requests.map((r) => r.at - alert.openedAt)
    expect(at[1]! - at[0]!).toBeGreaterThan(700)
    for (const r of rig.wecom.requests) expect(linkedAlerts(r)).toEqual([alert.id])
    expect((await rig.t.api(`/api/alerts/${alert.id}/ack`, { method: 'POST', body: {} })).status).toBe(200)
    const n = rig.wecom.requests.length
    await sleep(2500)
    expect(rig.wecom.requests.length).toBe(n)
    const rows = await rig.notifications(alert.id)
    expect(rows.length).toBeGreaterThanOrEqual(3)
    expect(rows.every((r) => r.channel === 'team-wecom' && r.step === 0 && r.status === 'sent')).toBe(true)
  })
})

describe('the message', () => {
  test('names who took the key of a door left open too long', async () => {
    rig = await startNotifyRig([{ stations: ['*'], severities: ['warning'], steps: [{ afterSeconds: 0, channels: ['team-wecom'] }] }], { rules: { doorOpenMaxSeconds: 1 } })
    await rig.publish('keybox', { slots: { '1': null, '2': 'key-room-1' }, user: '张三' })
    await rig.publish('door', { open: true })
    await eventually(() => rig!.wecom.requests.length >= 1, 4000, 'the door-open-too-long message')
    const content = rig.wecom.requests[0]!.body.markdown.content as string
    expect(content).toContain('门长时间未关')
    expect(content).toContain('取钥匙人: 张三')
  })
})

describe('restart', () => {
  test('a restart between steps keeps the schedule: step 1 fires once, at its time, and step 0 is not sent again', async () => {
    rig = await startNotifyRig([
      {
        stations: ['*'],
        severities: ['critical'],
        steps: [
          { afterSeconds: 0, channels: ['team-wecom'] },
          { afterSeconds: 3, channels: ['sms'], to: ['li'] },
        ],
      },
    ])
    const alert = await rig.forceDoor()
    await eventually(() => rig!.wecom.requests.length >= 1, 1000, 'step 0')
    expect(rig.sms.requests).toHaveLength(0)
    await rig.t.restart()
    const restartedAt = Date.now()
    await rig.reconnect()
    await eventually(() => rig!.sms.requests.length >= 1, 6000, 'step 1 after the restart')
    const smsAt = rig.sms.requests[0]!.at
    expect(smsAt - alert.openedAt).toBeGreaterThanOrEqual(3000 - 50)
    // at its time, or at once if the restart itself took past it
    expect(smsAt).toBeLessThan(Math.max(alert.openedAt + 3000, restartedAt) + 1500)
    expect(rig.sms.requests[0]!.query.get('PhoneNumbers')).toBe('+8613800000002')
    await sleep(2000)
    expect(rig.sms.requests).toHaveLength(1)
    expect(rig.wecom.requests).toHaveLength(1)
    const rows = await rig.notifications(alert.id)
    expect(rows.map((r: any) => [r.step, r.channel, r.to ?? null, r.status])).toEqual([
      [0, 'team-wecom', null, 'sent'],
      [1, 'sms', 'li', 'sent'],
    ])
  })
})
