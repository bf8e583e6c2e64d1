import { afterEach, describe, expect, it } from 'vitest'
import { WebhookChannel } from '../../../../src/adapters/notify/webhook-channel.ts'
import { parseNotifyConfig } from '../../../../src/notify/config.ts'
import { Notifier } from '../../../../src/notify/notifier.ts'
import { MemoryDeliveryLog } from '../../../../src/notify/ports.ts'
import type { NotifyAlert } from '../../../../src/notify/render.ts'
import type { Severity } from '../../../../src/alerts/alert.ts'
import { FakeTime } from '../../../helpers/fake-time.ts'
import { StandIn, waitFor } from '../../../helpers/vendor-stand-in.ts'

let hook: StandIn | undefined
afterEach(async () => {
  await hook?.close()
})

describe('webhook channel queue', () => {
  it('when full, drops the least severe first and never a critical alert; v1 bodies, no merging', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    hook = await new StandIn(() => ({ status: 204 })).start('/hook')
    const time = new FakeTime()
    const config = parseNotifyConfig(
      { publicUrl: 'http://x', channels: { hook: { type: 'webhook', url: hook.url } }, routes: [{ stations: ['*'], severities: ['critical', 'warning', 'info'], steps: [{ afterSeconds: 0, channels: ['hook'] }] }] },
      {},
    )
    const real = new WebhookChannel(hook.url, 2000)
    // The first request waits for the gate, so that the queue fills behind it.
    let first = true
    const channel = {
      type: 'webhook' as const,
      send: async (m: Parameters<WebhookChannel['send']>[0]) => {
        if (first) {
          first = false
          await gate
        }
        return real.send(m)
      },
    }
    const notifier = new Notifier({
      config,
      channels: new Map([['hook', channel]]),
      clock: time,
      timers: time,
      deliveries: new MemoryDeliveryLog(),
      station: () => ({ name: 'S', timezone: 'UTC' }),
      log: { info: () => undefined, warn: () => undefined },
      limits: { maxJobs: 3 },
    })
    await notifier.start()
    let n = 0
    const open = (severity: Severity, station = `s${n}`) => {
      const a: NotifyAlert = { id: `a${++n}-${severity}`, station, rule: 'tamper', subject: 'device:x', severity, state: 'active', message: 'm', openedAt: time.now(), escalated: false }
      notifier.handleAlertChange(a, 'opened')
      time.advance(0)
      return a
    }
    open('info') // in flight, held at the gate
    const queued = [open('info'), open('warning'), open('critical'), open('critical'), open('critical'), open('warning')]
    expect(notifier.status().hook!.queued).toBe(3)
    release()
    await waitFor(() => hook!.requests.length === 4, 'four webhook posts')
    await notifier.idle()
    const ids = hook.requests.map((r) => r.body.alert.id)
    expect(ids.slice(1)).toEqual([queued[2]!.id, queued[3]!.id, queued[4]!.id])
    expect(hook.requests[1]!.body).toEqual({ type: 'alert', change: 'opened', alert: JSON.parse(JSON.stringify(queued[2])) })
    await notifier.stop()
  })
})
