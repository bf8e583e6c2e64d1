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

type SmsModule = typeof import('@alicloud/dysmsapi20170525')
type SmsClient = SmsModule['default']
interface Sdk { Client: SmsClient; SendSmsRequest: SmsModule['SendSmsRequest']; Config: (typeof import('@alicloud/openapi-core'))['$OpenApiUtil']['Config'] }

/** The SDK takes ~0.3 s to load: it is loaded with the first message, not at every start-up. */
let sdk: Promise<Sdk> | undefined
function loadSdk(): Promise<Sdk> {
  return (sdk ??= Promise.all([import('@alicloud/dysmsapi20170525'), import('@alicloud/openapi-core')]).then(([m, core]) => ({
    // The package is CommonJS with the client as its default export; under ESM it can arrive wrapped.
    Client: (m.default as unknown as { default?: SmsClient }).default ?? (m.default as unknown as SmsClient),
    SendSmsRequest: m.SendSmsRequest,
    Config: core.$OpenApiUtil.Config,
  })))
}

/**
 * Aliyun SMS `SendSms` through the official SDK (`@alicloud/dysmsapi20170525`). The template is the
 * operator's (approved by Aliyun); it is given the parameters `station`, `alert`, `severity`,
 * `since` and `link` (unused ones are ignored by Aliyun). Success is `Code: "OK"`.
 */
export class AliyunSmsChannel implements NotifierChannel {
  readonly type = 'sms-aliyun'
  private client: Promise<{ sdk: Sdk; client: InstanceType<SmsClient> }> | undefined

  constructor(private readonly o: AliyunSmsOptions) {}

  private connect(): Promise<{ sdk: Sdk; client: InstanceType<SmsClient> }> {
    const url = new URL(this.o.endpoint)
    return (this.client ??= loadSdk().then((sdk) => ({
      sdk,
      client: new sdk.Client(
        new sdk.Config({
          accessKeyId: this.o.accessKeyId,
          accessKeySecret: this.o.accessKeySecret,
          endpoint: url.host,
          protocol: url.protocol.replace(':', ''),
          readTimeout: this.o.timeoutMs,
          connectTimeout: this.o.timeoutMs,
        }),
      ),
    })))
  }

  async send(m: NotifyMessage): Promise<{ ok: boolean; error?: string }> {
    const phones = (m.to ?? []).flatMap((p) => (p.phone ? [p.phone] : []))
    if (!phones.length) return { ok: false, error: 'no phone number' }
    try {
      const { sdk, client } = await this.connect()
      const res = await client.sendSms(
        new sdk.SendSmsRequest({ phoneNumbers: phones.join(','), signName: this.o.signName, templateCode: this.o.templateCode, templateParam: JSON.stringify(m.params) }),
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
