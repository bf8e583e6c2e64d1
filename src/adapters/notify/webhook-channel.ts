import type { NotifierChannel } from '../../notify/ports.ts'
import type { NotifyMessage } from '../../notify/render.ts'
import { postJson } from './http-post.ts'

/**
 * The version-1 webhook as a notification channel: the same JSON body as WEBHOOK_URL gets,
 * `{type: "alert", change, alert, by?}`; a test message is `{type: "test", message}`. Any 2xx is success.
 */
export class WebhookChannel implements NotifierChannel {
  readonly type = 'webhook'
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const body = m.alert ? { type: 'alert', change: m.change ?? 'opened', alert: m.alert, ...(m.by ? { by: m.by } : {}) } : { type: m.kind, message: m.text }
    const res = await postJson(this.url, body, this.timeoutMs)
    return res.ok ? { ok: true } : res
  }
}
