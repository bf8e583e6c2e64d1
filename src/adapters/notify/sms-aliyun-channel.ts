import Dysmsapi, { SendSmsRequest } from '@alicloud/dysmsapi20170525'
import { $OpenApiUtil } from '@alicloud/openapi-core'
import type { NotifierChannel } from '../../notify/ports.ts'
import type { NotifyMessage } from '../../notify/render.ts'

export interface AliyunSmsOptions {
  accessKeyId: string
  accessKeySecret: string
  signName: string
  templateCode: string
  /** full URL; the SDK takes host and protocol apart */
  endpoint: string
  timeoutMs: number
}

// The package is CommonJS with the client as its default export; under ESM it can arrive wrapped.
type SmsClient = typeof Dysmsapi.default
const Client: SmsClient = (Dysmsapi as unknown as { default?: SmsClient }).default ?? (Dysmsapi as unknown as SmsClient)

/**
 * Aliyun SMS `SendSms` through the official SDK (`@alicloud/dysmsapi20170525`). The template is the
 * operator's (approved by Aliyun); it is given the parameters `station`, `alert`, `severity`,
 * `since` and `link` (unused ones are ignored by Aliyun). Success is `Code: "OK"`.
 */
export class AliyunSmsChannel implements NotifierChannel {
  readonly type = 'sms-aliyun'
  private readonly client: InstanceType<typeof Client>

  constructor(private readonly o: AliyunSmsOptions) {
    const url = new URL(o.endpoint)
    this.client = new Client(
      new $OpenApiUtil.Config({
        accessKeyId: o.accessKeyId,
        accessKeySecret: o.accessKeySecret,
        endpoint: url.host,
        protocol: url.protocol.replace(':', ''),
        readTimeout: o.timeoutMs,
        connectTimeout: o.timeoutMs,
      }),
    )
  }

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const phones = (m.to ?? []).flatMap((p) => (p.phone ? [p.phone] : []))
    if (!phones.length) return { ok: false, error: 'no phone number' }
    try {
      const res = await this.client.sendSms(
        new SendSmsRequest({ phoneNumbers: phones.join(','), signName: this.o.signName, templateCode: this.o.templateCode, templateParam: JSON.stringify(m.params) }),
      )
      const code = res.body?.code
      return code === 'OK' ? { ok: true } : { ok: false, error: `Code ${code ?? '?'}: ${String(res.body?.message ?? '').slice(0, 200)}` }
    } catch (err) {
      const e = err as { code?: string; message?: string }
      // SDK errors can quote the request; keep the code and a short, key-free message.
      const msg = String(e.message ?? err).split(this.o.accessKeyId).join('<key>').slice(0, 200)
      return { ok: false, error: e.code ? `${e.code}: ${msg}` : msg }
    }
  }
}
