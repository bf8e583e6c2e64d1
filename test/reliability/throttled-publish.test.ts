import { afterEach, expect, test } from 'vitest'
import { eventually, startTestService, type TestService } from '../helpers/service.ts'

let t: TestService | undefined
afterEach(async () => {
  await t?.stop()
  t = undefined
})

/**
 * A throttled message is dropped without disconnecting the device (for a few seconds), and the
 * limiter decides before the topic is checked: such a message must still go nowhere, not even to
 * a topic another device subscribes to.
 */
test("a flooding device's throttled messages reach no other device, not even on its cmd topic", async () => {
  t = await startTestService({ env: { DEVICE_MAX_MSG_PER_SEC: '5' } })
  const S = t.station.id
  const victim = await t.device(`${S}-door-main`)
  const cmd = `stations/${S}/devices/${S}-door-main/cmd`
  await victim.subscribeAsync(cmd, { qos: 1 })
  const received: string[] = []
  victim.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`))

  const flooder = await t.device(`${S}-shelf`)
  // Past its bucket of 5 (a throttled QoS 1 message gets no PUBACK, so none is awaited)…
  for (let seq = 1; seq <= 10; seq++) flooder.publish(`stations/${S}/devices/${S}-shelf/state`, JSON.stringify({ ts: Date.now(), seq, items: { water: seq } }), { qos: 1 })
  // …then at another device's command topic, while throttled.
  for (let i = 0; i < 5; i++) flooder.publish(cmd, '{"open":true}', { qos: 1 })
  expect(flooder.connected).toBe(true)
  await eventually(async () => ((await t!.api('/api/rejects')).body as { reason: string }[]).some((r) => /rate/.test(r.reason)), 3000, 'the throttling to be recorded')
  await new Promise((r) => setTimeout(r, 300))
  expect(received).toEqual([])
})
