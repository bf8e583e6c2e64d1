import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { DingtalkChannel } from '../../../../src/adapters/notify/dingtalk-channel.ts'
import { FeishuChannel } from '../../../../src/adapters/notify/feishu-channel.ts'
import { AliyunSmsChannel } from '../../../../src/adapters/notify/sms-aliyun-channel.ts'
import { WebhookChannel } from '../../../../src/adapters/notify/webhook-channel.ts'
import { WecomChannel } from '../../../../src/adapters/notify/wecom-channel.ts'
import { renderAlert, type NotifyAlert, type NotifyMessage } from '../../../../src/notify/render.ts'
import { StandIn } from '../../../helpers/vendor-stand-in.ts'

const alert: NotifyAlert = {
  id: 'a-1',
  station: 'xinhua',
  rule: 'door-forced',
  subject: 'door:main',
  severity: 'critical',
  state: 'active',
  message: '正门在无人取钥匙时被打开',
  openedAt: Date.parse('2026-12-04T20:31:00+08:00'),
  escalated: false,
  drill: true,
}
const message: NotifyMessage = {
  ...renderAlert(alert, { language: 'zh-CN', publicUrl: 'https://station.example.cn', station: { name: '新华社区应急服务站', timezone: 'Asia/Shanghai' }, keyHolder: '张三' }),
  change: 'opened',
}
const fixedClock = { now: () => 1_764_851_460_123 }

let servers: StandIn[] = []
const standIn = async (...args: ConstructorParameters<typeof StandIn>) => {
  const s = await new StandIn(...args).start()
  servers.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

describe('the message', () => {
  it('names station, what, where, since when, who took the key, severity, drill and the link', () => {
    for (const text of [message.text, message.markdown]) {
      expect(text).toContain('【演练】【紧急】新华社区应急服务站 · 门被强行打开')
      expect(text).toContain('door:main')
      expect(text).toContain('20:31')
      expect(text).toContain('张三')
      expect(text).toContain('https://station.example.cn/#/alerts/a-1')
    }
  })
  it('is in English when configured', () => {
    const en = renderAlert({ ...alert, drill: false }, { language: 'en', publicUrl: 'http://x', station: { name: 'Xinhua', timezone: 'Asia/Shanghai' } })
    expect(en.text).toContain('【CRITICAL】Xinhua · Door forced open')
    expect(en.text).not.toContain('演练')
  })
})

describe('WeCom group robot', () => {
  it('POSTs {msgtype: markdown, markdown: {content}} to the robot URL, key kept', async () => {
    const s = await standIn()
    const ch = new WecomChannel({ url: `${s.url}cgi-bin/webhook/send?key=KEY1`, msgtype: 'markdown', timeoutMs: 2000 })
    expect(await ch.send(message)).toEqual({ ok: true })
    const r = s.requests[0]!
    expect([r.method, r.path, r.query.get('key')]).toEqual(['POST', '/cgi-bin/webhook/send', 'KEY1'])
    expect(r.headers['content-type']).toMatch(/^application\/json/)
    expect(r.body).toEqual({ msgtype: 'markdown', markdown: { content: message.markdown } })
  })
  it('a refusal in errcode is a failure, and no error names the key', async () => {
    const s = await standIn(() => ({ json: { errcode: 93000, errmsg: 'invalid webhook url' } }))
    const res = await new WecomChannel({ url: `${s.url}send?key=KEY1`, msgtype: 'text', timeoutMs: 2000 }).send(message)
    expect(res.ok).toBe(false)
    expect(res.error).toContain('93000')
    expect(s.requests[0]!.body).toEqual({ msgtype: 'text', text: { content: message.text } })
    const down = await new WecomChannel({ url: 'http://127.0.0.1:1/send?key=KEY1', msgtype: 'text', timeoutMs: 2000 }).send(message)
    expect(down.ok).toBe(false)
    expect(down.error).not.toContain('KEY1')
  })
  it('a receiver that does not answer times out', async () => {
    const s = await standIn(() => ({ delayMs: 3000 }))
    const t0 = Date.now()
    expect(await new WecomChannel({ url: s.url, msgtype: 'markdown', timeoutMs: 300 }).send(message)).toEqual({ ok: false, error: 'timed out' })
    expect(Date.now() - t0).toBeLessThan(2500)
  })
})

describe('DingTalk robot', () => {
  it('signs with timestamp (ms) and sign = base64 HMAC-SHA256(secret, timestamp\\nsecret) in the query', async () => {
    const s = await standIn()
    const ch = new DingtalkChannel({ url: `${s.url}robot/send?access_token=TOKEN1`, secret: 'SECabc', clock: fixedClock, timeoutMs: 2000 })
    expect(await ch.send(message)).toEqual({ ok: true })
    const r = s.requests[0]!
    expect([r.method, r.path, r.query.get('access_token'), r.query.get('timestamp')]).toEqual(['POST', '/robot/send', 'TOKEN1', '1764851460123'])
    const expected = createHmac('sha256', 'SECabc').update('1764851460123\nSECabc').digest('base64')
    expect(r.query.get('sign')).toBe(expected)
    // URL-encoded on the wire: base64's + / = never appear raw
    expect(/[?&]sign=([^&]*)/.exec(r.rawUrl)?.[1]).toBe(encodeURIComponent(expected))
    expect(r.body).toEqual({ msgtype: 'markdown', markdown: { title: message.title, text: message.markdown } })
  })
  it('a refusal in errcode (HTTP 200) is a failure', async () => {
    const s = await standIn(() => ({ json: { errcode: 310000, errmsg: 'sign not match' } }))
    const res = await new DingtalkChannel({ url: `${s.url}robot/send?access_token=T`, secret: 'SEC', clock: fixedClock, timeoutMs: 2000 }).send(message)
    expect(res).toEqual({ ok: false, error: 'errcode 310000: sign not match' })
  })
})

describe('Feishu custom bot', () => {
  it('signs with timestamp (s) and sign = base64 HMAC-SHA256(key = timestamp\\nsecret, empty) in the body', async () => {
    const s = await standIn(() => ({ json: { code: 0, msg: 'success', data: {} } }))
    const ch = new FeishuChannel({ url: `${s.url}open-apis/bot/v2/hook/HOOK1`, secret: 'fsecret', clock: fixedClock, timeoutMs: 2000 })
    expect(await ch.send(message)).toEqual({ ok: true })
    const r = s.requests[0]!
    expect([r.method, r.path]).toEqual(['POST', '/open-apis/bot/v2/hook/HOOK1'])
    const expected = createHmac('sha256', '1764851460\nfsecret').digest('base64')
    expect(r.body).toEqual({ timestamp: '1764851460', sign: expected, msg_type: 'text', content: { text: message.text } })
  })
  it('a refusal in code is a failure', async () => {
    const s = await standIn(() => ({ json: { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' } }))
    const res = await new FeishuChannel({ url: s.url, secret: 'x', clock: fixedClock, timeoutMs: 2000 }).send(message)
    expect(res.ok).toBe(false)
    expect(res.error).toMatch(/^code 19021: sign match fail/)
  })
})

describe('Aliyun SMS (official SDK, pointed at a local endpoint)', () => {
  it('calls SendSms with PhoneNumbers, SignName, TemplateCode and TemplateParam, signed with the access key', async () => {
    const s = await standIn(() => ({ json: { Code: 'OK', Message: 'OK', BizId: 'b1', RequestId: 'r1' } }))
    const ch = new AliyunSmsChannel({ accessKeyId: 'AKID1', accessKeySecret: 'AKSECRET1', signName: '新华社区', templateCode: 'SMS_123', endpoint: s.url, timeoutMs: 2000 })
    const to = [{ id: 'zhang', name: '张三', phone: '+8613800000001' }]
    expect(await ch.send({ ...message, to })).toEqual({ ok: true })
    const r = s.requests[0]!
    expect([r.method, r.path, r.headers['x-acs-action'], r.headers['x-acs-version']]).toEqual(['POST', '/', 'SendSms', '2017-05-25'])
    expect(r.query.get('PhoneNumbers')).toBe('+8613800000001')
    expect(r.query.get('SignName')).toBe('新华社区')
    expect(r.query.get('TemplateCode')).toBe('SMS_123')
    expect(JSON.parse(r.query.get('TemplateParam')!)).toEqual({ station: '新华社区应急服务站', alert: '【演练】门被强行打开', severity: '紧急', since: expect.stringContaining('20:31'), link: 'https://station.example.cn/#/alerts/a-1' })
    expect(String(r.headers.authorization)).toMatch(/^ACS3-HMAC-SHA256 Credential=AKID1,/)
    expect(String(r.headers.authorization)).not.toContain('AKSECRET1')
  })
  it('an answer other than Code OK is a failure', async () => {
    const s = await standIn(() => ({ json: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控', RequestId: 'r2' } }))
    const ch = new AliyunSmsChannel({ accessKeyId: 'AKID1', accessKeySecret: 'S', signName: 'x', templateCode: 'SMS_1', endpoint: s.url, timeoutMs: 2000 })
    expect(await ch.send({ ...message, to: [{ id: 'a', name: 'a', phone: '13800000000' }] })).toEqual({ ok: false, error: 'Code isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控' })
    expect(await ch.send(message)).toEqual({ ok: false, error: 'no phone number' })
  })
})

describe('webhook', () => {
  it('keeps the version-1 body {type: alert, change, alert, by?}', async () => {
    const s = await standIn(() => ({ status: 204 }))
    expect(await new WebhookChannel(`${s.url}hook`, 2000).send({ ...message, change: 'resolved', by: 'zhang' })).toEqual({ ok: true })
    expect(s.requests[0]!.body).toEqual({ type: 'alert', change: 'resolved', alert: JSON.parse(JSON.stringify(alert)), by: 'zhang' })
    const failing = await standIn(() => ({ status: 503 }))
    expect(await new WebhookChannel(failing.url, 2000).send(message)).toEqual({ ok: false, error: 'HTTP 503' })
  })
})
