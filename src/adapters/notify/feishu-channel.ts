import { createHmac } from 'node:crypto'
import type { NotifierChannel } from '../../notify/ports.ts'
import type { NotifyMessage } from '../../notify/render.ts'
import { cutUtf8, postJson, vendorError, type SignedRobotOptions } from './http-post.ts'

/** Feishu's custom bot signature: base64 HMAC-SHA256(key = timestamp + "\n" + secret, message = empty). */
export function feishuSign(timestampSec: number, secret: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64')
}

/**
 * Feishu (飞书) custom bot: POST {msg_type: "text", content: {text}} with `timestamp` (seconds, as a
 * string) and `sign` in the body when the bot is signed; the answer is {code: 0} on success.
 */
export class FeishuChannel implements NotifierChannel {
  readonly type = 'feishu'
  constructor(private readonly o: SignedRobotOptions) {}

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const timestamp = Math.floor(this.o.clock.now() / 1000)
    const sign = this.o.secret ? { timestamp: String(timestamp), sign: feishuSign(timestamp, this.o.secret) } : {}
    const body = { ...sign, msg_type: 'text', content: { text: cutUtf8(m.text, 20_000) } }
    const res = await postJson(this.o.url, body, this.o.timeoutMs)
    if (!res.ok) return res
    // Older bots answer {StatusCode: 0}; current ones {code: 0}.
    const error = vendorError(res.body, ['code', 'StatusCode'])
    return error ? { ok: false, error } : { ok: true }
  }
}
