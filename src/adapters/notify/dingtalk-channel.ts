import { createHmac } from 'node:crypto'
import type { NotifierChannel } from '../../notify/ports.ts'
import type { NotifyMessage } from '../../notify/render.ts'
import { cutUtf8, postJson, vendorError, type SignedRobotOptions } from './http-post.ts'

/** DingTalk's robot signature: base64 HMAC-SHA256(key = secret, message = timestamp + "\n" + secret). */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64')
}

/**
 * DingTalk (钉钉) group robot: POST {msgtype: "markdown", markdown: {title, text}} to the webhook URL
 * with `timestamp` (ms) and `sign` (URL-encoded) added to its query when the robot is signed;
 * the answer is {errcode: 0} on success (HTTP 200 also for refusals).
 */
export class DingtalkChannel implements NotifierChannel {
  readonly type = 'dingtalk'
  constructor(private readonly o: SignedRobotOptions) {}

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const url = new URL(this.o.url)
    if (this.o.secret) {
      const timestamp = this.o.clock.now()
      url.searchParams.set('timestamp', String(timestamp))
      url.searchParams.set('sign', dingtalkSign(timestamp, this.o.secret))
    }
    const body = { msgtype: 'markdown', markdown: { title: m.title.slice(0, 64), text: cutUtf8(m.markdown, 5000) } }
    const res = await postJson(url.toString(), body, this.o.timeoutMs)
    if (!res.ok) return res
    const error = vendorError(res.body, ['errcode'])
    return error ? { ok: false, error } : { ok: true }
  }
}
