import mqtt from 'mqtt'
import { afterEach, expect, test } from 'vitest'
import { eventually, publishState, publishStatus, startTestService, type TestService } from '../helpers/service.ts'

let t: TestService | undefined
afterEach(async () => {
  await t?.stop()
  t = undefined
})

const statusOf = async (svc: TestService, device: string) =>
  ((await svc.api(`/api/stations/${svc.station.id}`)).body.devices as any[]).find((d) => d.id === device)

test("an old session's will arriving after the device reconnected does not mark it offline", async () => {
  t = await startTestService()
  const S = t.station.id
  const id = `${S}-door-main`
  const will = { topic: `stations/${S}/devices/${id}/status`, payload: Buffer.from('{"online":false}'), qos: 1 as const, retain: true }
  const base = { protocolVersion: 4 as const, username: id, password: t.station.secrets[id], reconnectPeriod: 0, will }
  const url = `mqtt://127.0.0.1:${t.svc.mqttPort}`
  // The old session is half-open: its socket is still there when the device comes back.
  const old = await mqtt.connectAsync(url, { ...base, clientId: `${id}-session-1` })
  await publishStatus(old, S, id, { online: true })
  const fresh = await mqtt.connectAsync(url, { ...base, clientId: `${id}-session-2` })
  await publishStatus(fresh, S, id, { online: true, battery: 80 })
  old.stream.destroy()
  await new Promise((r) => setTimeout(r, 300))
  expect(await statusOf(t, id)).toMatchObject({ online: true, battery: 80 })
  expect((await t.api('/api/alerts?state=active')).body).toEqual([])

  // The current session's own will still counts.
  fresh.stream.destroy()
  await eventually(async () => (await statusOf(t!, id)).online === false)
  await fresh.endAsync(true).catch(() => undefined)
  await old.endAsync(true).catch(() => undefined)
})

test('a flooding device is throttled, other devices are not slowed, and one that keeps flooding is disconnected', async () => {
  t = await startTestService({ env: { DEVICE_MAX_MSG_PER_SEC: '50' } })
  const S = t.station.id
  const flooder = await t.device(`${S}-shelf`)
  const door = await t.device(`${S}-door-main`)
  let closed = false
  flooder.on('close', () => (closed = true))

  let seq = 0
  const started = Date.now()
  const flood = (async () => {
    // QoS 0 as fast as the socket takes it, for a bounded 7 s.
    while (!closed && Date.now() - started < 7000) {
      for (let i = 0; i < 50 && !closed; i++) flooder.publish(`stations/${S}/devices/${S}-shelf/state`, JSON.stringify({ ts: Date.now(), seq: ++seq, items: { water: seq % 100 } }))
      await new Promise((r) => setTimeout(r, 5))
    }
  })()

  // Meanwhile a well-behaved door is applied promptly.
  await new Promise((r) => setTimeout(r, 500))
  const latencies: number[] = []
  for (let i = 1; i <= 5; i++) {
    const sent = Date.now()
    await publishState(door, S, `${S}-door-main`, { ts: sent, seq: i, open: i % 2 === 1 })
    await eventually(async () => ((await t!.api(`/api/stations/${S}`)).body.doors[0].open === (i % 2 === 1)))
    latencies.push(Date.now() - sent)
  }
  expect(Math.max(...latencies)).toBeLessThan(1000)

  await flood
  expect(closed).toBe(true)
  const rejects = (await t.api('/api/rejects?limit=1000')).body as any[]
  const limited = rejects.filter((r) => r.device === `${S}-shelf` && r.reason.startsWith('rate limited'))
  expect(limited.length).toBeGreaterThan(0)
  // One record a second at most, however fast the flood.
  expect(limited.length).toBeLessThanOrEqual(8)
  const metrics = (await t.api('/metrics')).text
  const dropped = Number(/stationwatch_messages_rejected_total\{reason="rate-limited"\} (\d+)/.exec(metrics)?.[1])
  expect(dropped).toBeGreaterThan(100)
  // The door was never throttled.
  expect(rejects.filter((r) => r.device === `${S}-door-main`)).toEqual([])
}, 20_000)

test('stopping the service does not take the devices it disconnects for offline', async () => {
  const first = await startTestService()
  const S = first.station.id
  const id = `${S}-door-main`
  const c = await first.device(id, { will: true })
  await publishStatus(c, S, id, { online: true })
  // Stop with the device still connected: the broker drops it, which would publish its will.
  await first.svc.stop()
  c.end(true)
  t = await startTestService({ stations: first.stations, dataDir: first.dataDir })
  expect(await statusOf(t, id)).toMatchObject({ online: true })
  expect((await t.api('/api/alerts')).body).toEqual([])
  expect((await t.api(`/api/stations/${S}/events?kind=device-offline`)).body).toEqual([])
})
