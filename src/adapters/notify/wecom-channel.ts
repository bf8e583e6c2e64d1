import type { NotifierChannel } from '../../notify/ports.ts'
import type { NotifyMessage } from '../../notify/render.ts'
import { cutUtf8, postJson, vendorError } from './http-post.ts'

/** WeCom (企业微信) group robot: POST {msgtype, markdown|text: {content}}; answer {errcode: 0}. Content ≤ 4096 bytes. */
export class WecomChannel implements NotifierChannel {
  readonly type = 'wecom'
  private readonly url: string
  private readonly msgtype: 'markdown' | 'text'
  private readonly timeoutMs: number

  constructor(opts: { url: string; msgtype: 'markdown' | 'text'; timeoutMs: number }) {
    this.url = opts.url
    this.msgtype = opts.msgtype
    this.timeoutMs = opts.timeoutMs
  }

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const body =
      this.msgtype === 'markdown' ? { msgtype: 'markdown', markdown: { content: cutUtf8(m.markdown, 4096) } } : { msgtype: 'text', text: { content: cutUtf8(m.text, 2048) } }
    const res = await postJson(this.url, body, this.timeoutMs)
    if (!res.ok) return res
    const error = vendorError(res.body, ['errcode'])
    return error ? { ok: false, error } : { ok: true }
  }
}
