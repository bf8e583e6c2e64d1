import type { NotifyConfig } from '../../notify/config.ts'
import type { NotifierChannel } from '../../notify/ports.ts'
import type { Clock } from '../../ports.ts'
import { DingtalkChannel } from './dingtalk-channel.ts'
import { FeishuChannel } from './feishu-channel.ts'
import { DEFAULT_TIMEOUT_MS } from './http-post.ts'
import { AliyunSmsChannel } from './sms-aliyun-channel.ts'
import { WebhookChannel } from './webhook-channel.ts'
import { WecomChannel } from './wecom-channel.ts'

/** One adapter per configured channel, by name. */
export function createChannels(config: NotifyConfig, clock: Clock, timeoutMs = DEFAULT_TIMEOUT_MS): Map<string, NotifierChannel> {
  const out = new Map<string, NotifierChannel>()
  for (const [name, c] of config.channels) {
    switch (c.type) {
      case 'wecom':
        out.set(name, new WecomChannel({ url: c.url, msgtype: c.msgtype, timeoutMs }))
        break
      case 'dingtalk':
        out.set(name, new DingtalkChannel({ url: c.url, secret: c.secret, clock, timeoutMs }))
        break
      case 'feishu':
        out.set(name, new FeishuChannel({ url: c.url, secret: c.secret, clock, timeoutMs }))
        break
      case 'sms-aliyun':
        out.set(name, new AliyunSmsChannel({ ...c, timeoutMs }))
        break
      case 'webhook':
        out.set(name, new WebhookChannel(c.url, timeoutMs))
        break
    }
  }
  return out
}
