import { createChannels } from '../../../src/adapters/notify/create-channels.ts'
import { parseNotifyConfig } from '../../../src/notify/config.ts'
import { Notifier, type NotifierLimits, type NotifierOptions } from '../../../src/notify/notifier.ts'
import { MemoryDeliveryLog, type Delivery, type DeliveryLog } from '../../../src/notify/ports.ts'
import type { NotifyAlert } from '../../../src/notify/render.ts'
import type { Severity } from '../../../src/alerts/alert.ts'
import { FakeTime } from '../../helpers/fake-time.ts'
import { StandIn, type Answer, type SeenRequest } from '../../helpers/vendor-stand-in.ts'

/** Friday 10:00 in Shanghai: the day shift is on call */
export const FRIDAY_10 = Date.parse('2026-12-04T10:00:00+08:00')
export const STATIONS: Record<string, { name: string; timezone: string }> = { xinhua: { name: '新华社区应急服务站', timezone: 'Asia/Shanghai' } }

export const ok = (): Answer => ({ json: { errcode: 0, errmsg: 'ok' } })
export const smsOk = (): Answer => ({ json: { Code: 'OK', Message: 'OK', RequestId: 'r' } })

/**
 * A Notifier over real channel adapters whose URLs point at local stand-ins (WeCom and Aliyun SMS),
 * on fake time: `advance` moves the clock, then waits (real time) until no request is in flight.
 */
/** A three-step escalation (the delivery-log, restart and hand-over tests): step 0 to the group at once, the on-call person (zhang) at 30 s, wang at 45 s. */
export const escalationFile = ({ wecom, sms }: { wecom: string; sms: string }) => ({
  publicUrl: 'http://station.test',
  channels: {
    group: { type: 'wecom', url: wecom },
    sms: { type: 'sms-aliyun', accessKeyId: 'AK', accessKeySecret: 'SK', signName: '新华', templateCode: 'SMS_1', endpoint: sms },
  },
  people: [
    { id: 'zhang', name: '张三', phone: '+8613800000001' },
    { id: 'wang', name: '王五', phone: '+8613800000003' },
  ],
  onCall: [{ stations: ['*'], days: 'daily', from: '00:00', to: '00:00', people: ['zhang'] }],
  routes: [
    {
      stations: ['*'],
      severities: ['critical'],
      steps: [
        { afterSeconds: 0, channels: ['group'] },
        { afterSeconds: 30, channels: ['sms'], to: 'on-call' },
        { afterSeconds: 45, channels: ['sms'], to: ['wang'] },
      ],
    },
  ],
})

export class NotifierRig {
  readonly time: FakeTime
  wecom!: StandIn
  sms!: StandIn
  notifier!: Notifier
  readonly deliveries: Delivery[] = []
  private seq = 0

  constructor(
    private readonly file: (urls: { wecom: string; sms: string }) => object,
    start = FRIDAY_10,
    private readonly answers: { wecom?: (r: SeenRequest, n: number) => Answer; sms?: (r: SeenRequest, n: number) => Answer } = {},
  ) {
    this.time = new FakeTime(start)
  }

  async start(log: DeliveryLog = new MemoryDeliveryLog(), limits?: Partial<NotifierLimits>, extra: Partial<NotifierOptions> = {}): Promise<this> {
    this.wecom ??= await new StandIn(this.answers.wecom ?? ok).start('/cgi-bin/webhook/send?key=KEY')
    this.sms ??= await new StandIn(this.answers.sms ?? smsOk).start()
    this.notifier = this.build(log, limits, extra)
    await this.notifier.start()
    await this.notifier.idle()
    return this
  }

  build(log: DeliveryLog, limits?: Partial<NotifierLimits>, extra: Partial<NotifierOptions> = {}): Notifier {
    const config = parseNotifyConfig(this.file({ wecom: this.wecom.url, sms: this.sms.url }), {}, ['xinhua', 's1', 's2', 's3'])
    return new Notifier({
      config,
      channels: createChannels(config, this.time, 2000),
      clock: this.time,
      timers: this.time,
      deliveries: log,
      station: (id) => STATIONS[id] ?? { name: id, timezone: 'Asia/Shanghai' },
      log: { info: () => undefined, warn: () => undefined },
      onDelivery: (d) => this.deliveries.push(d),
      ...(limits ? { limits } : {}),
      ...extra,
    })
  }

  async advance(ms: number, stepMs = 1000): Promise<void> {
    for (let left = ms; left > 0; left -= stepMs) {
      this.time.advance(Math.min(stepMs, left))
      await this.notifier.idle()
    }
    if (ms === 0) {
      this.time.advance(0)
      await this.notifier.idle()
    }
  }

  open(severity: Severity = 'critical', station = 'xinhua', extra: Partial<NotifyAlert> = {}): NotifyAlert {
    const a: NotifyAlert = {
      id: `al-${++this.seq}`,
      station,
      rule: 'door-forced',
      subject: 'door:main',
      severity,
      state: 'active',
      message: '正门被强行打开',
      openedAt: this.time.now(),
      escalated: false,
      ...extra,
    }
    this.notifier.handleAlertChange(a, 'opened')
    return a
  }

  ack(a: NotifyAlert, by = 'zhang'): void {
    this.notifier.handleAlertChange({ ...a, state: 'acknowledged', ackedAt: this.time.now(), ackedBy: by }, 'acknowledged', by)
  }

  resolve(a: NotifyAlert, by = 'zhang'): void {
    this.notifier.handleAlertChange({ ...a, state: 'resolved', resolvedAt: this.time.now(), resolvedBy: by }, 'resolved', by)
  }

  async close(): Promise<void> {
    await this.notifier?.stop()
    await Promise.all([this.wecom?.close(), this.sms?.close()])
  }
}

/** The alert ids a WeCom request is about (from the dashboard links in its markdown). */
export function alertIdsIn(r: SeenRequest): string[] {
  const content = String(r.body?.markdown?.content ?? r.body?.text?.content ?? '')
  return [...content.matchAll(/#\/alerts\/([\w-]+)/g)].map((m) => m[1]!)
}
