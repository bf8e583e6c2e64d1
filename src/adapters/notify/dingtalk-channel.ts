import { createHmac } from 'node:crypto'
import type { NotifierChannel } from '../../notify/ports.ts'
import type { NotifyMessage } from '../../notify/render.ts'
import type { Clock } from '../../ports.ts'
import { cutUtf8, postJson, vendorError } from './http-post.ts'

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
  private readonly url: string
  private readonly secret: string | undefined
  private readonly clock: Clock
  private readonly timeoutMs: number

  /** `clock` must be the real one: the vendor refuses a signature more than an hour off. */
  constructor(opts: { url: string; secret: string | undefined; clock: Clock; timeoutMs: number }) {
    this.url = opts.url
    this.secret = opts.secret
    this.clock = opts.clock
    this.timeoutMs = opts.timeoutMs
  }

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const url = new URL(this.url)
    if (this.secret) {
      const timestamp = this.clock.now()
      url.searchParams.set('timestamp', String(timestamp))
      url.searchParams.set('sign', dingtalkSign(timestamp, this.secret))
    }
    const body = { msgtype: 'markdown', markdown: { title: m.title.slice(0, 64), text: cutUtf8(m.markdown, 5000) } }
    const res = await postJson(url.toString(), body, this.timeoutMs)
    if (!res.ok) return res
    const error = vendorError(res.body, ['errcode'])
    return error ? { ok: false, error } : { ok: true }
  }
}
