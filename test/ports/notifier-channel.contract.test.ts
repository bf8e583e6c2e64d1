import { afterEach, describe, expect, it } from 'vitest'
import { DingtalkChannel } from '../../src/adapters/notify/dingtalk-channel.ts'
import { FeishuChannel } from '../../src/adapters/notify/feishu-channel.ts'
import { AliyunSmsChannel } from '../../src/adapters/notify/sms-aliyun-channel.ts'
import { WebhookChannel } from '../../src/adapters/notify/webhook-channel.ts'
import { WecomChannel } from '../../src/adapters/notify/wecom-channel.ts'
import type { NotifierChannel } from '../../src/notify/ports.ts'
import { renderAlert, type NotifyMessage } from '../../src/notify/render.ts'
import { StandIn, type Answer } from '../helpers/vendor-stand-in.ts'

/**
 * The NotifierChannel contract, one suite for every channel: a send is one request; the vendor's
 * success is `{ok: true}`; a vendor error, an HTTP error, a timeout or an unreachable endpoint is
 * `{ok: false, error}` — never a throw (retries are the channel queue's job) — and no error text
 * carries the channel's secret, key or token. Vendor formats are checked in
 * test/unit/adapters/notify/channels.test.ts.
 */
const SECRET = 'SECRETabc123'
const TIMEOUT_MS = 400

const message: NotifyMessage = {
  ...renderAlert(
    { id: 'a-1', station: 'xinhua', rule: 'door-forced', subject: 'door:main', severity: 'critical', state: 'active', message: 'forced', openedAt: Date.now(), escalated: false },
    { language: 'zh-CN', publicUrl: 'https://station.example.cn', station: { name: '新华社区应急服务站', timezone: 'Asia/Shanghai' } },
  ),
  change: 'opened',
  to: [{ id: 'zhang', name: '张三', phone: '+8613800000001' }],
}

interface ChannelCase {
  /** builds the channel pointed at `url` (a stand-in, or a closed port) */
  make(url: string): NotifierChannel
  success: Answer
  /** the vendor's own refusal (HTTP 200 with an error code); none for a plain webhook */
  vendorError?: Answer
}

const clock = { now: () => Date.now() }
const cases: Record<string, ChannelCase> = {
  wecom: { make: (url) => new WecomChannel({ url: `${url}send?key=${SECRET}`, msgtype: 'markdown', timeoutMs: TIMEOUT_MS }), success: { json: { errcode: 0, errmsg: 'ok' } }, vendorError: { json: { errcode: 93000, errmsg: 'invalid webhook url' } } },
  dingtalk: { make: (url) => new DingtalkChannel({ url: `${url}robot/send?access_token=${SECRET}`, secret: SECRET, clock, timeoutMs: TIMEOUT_MS }), success: { json: { errcode: 0, errmsg: 'ok' } }, vendorError: { json: { errcode: 310000, errmsg: 'sign not match' } } },
  feishu: { make: (url) => new FeishuChannel({ url: `${url}hook/${SECRET}`, secret: SECRET, clock, timeoutMs: TIMEOUT_MS }), success: { json: { code: 0, msg: 'success' } }, vendorError: { json: { code: 19021, msg: 'sign match fail' } } },
  'sms-aliyun': {
    make: (url) => new AliyunSmsChannel({ accessKeyId: 'AKID1', accessKeySecret: SECRET, signName: '新华社区', templateCode: 'SMS_123', endpoint: url, timeoutMs: TIMEOUT_MS }),
    success: { json: { Code: 'OK', Message: 'OK', BizId: 'b1', RequestId: 'r1' } },
    vendorError: { json: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: 'limit', RequestId: 'r2' } },
  },
  webhook: { make: (url) => new WebhookChannel(`${url}hook?token=${SECRET}`, TIMEOUT_MS), success: { status: 204 } },
}

let servers: StandIn[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})
async function standIn(answer: Answer): Promise<StandIn> {
  const s = await new StandIn(() => answer).start()
  servers.push(s)
  return s
}
const failsCleanly = (res: { ok: boolean; error?: string }) => {
  expect(res.ok).toBe(false)
  expect(typeof res.error).toBe('string')
  expect(res.error).not.toContain(SECRET)
}

for (const [type, c] of Object.entries(cases)) {
  describe(`NotifierChannel contract: ${type}`, () => {
    it('the vendor’s success is {ok: true}, in one request', async () => {
      const s = await standIn(c.success)
      expect(await c.make(s.url).send(message)).toEqual({ ok: true })
      expect(s.requests).toHaveLength(1)
    })
    if (c.vendorError) {
      it('the vendor’s refusal is a failure with its code, in one request', async () => {
        const s = await standIn(c.vendorError!)
        failsCleanly(await c.make(s.url).send(message))
        expect(s.requests).toHaveLength(1)
      })
    }
    it('an HTTP 500, a timeout and an unreachable endpoint are failures, never throws, and name no secret', async () => {
      const down = await standIn({ status: 500, json: { message: 'oops' } })
      failsCleanly(await c.make(down.url).send(message))
      const slow = await standIn({ ...c.success, delayMs: TIMEOUT_MS * 5 })
      failsCleanly(await c.make(slow.url).send(message))
      failsCleanly(await c.make('http://127.0.0.1:1/').send(message))
    })
  })
}
