import mqtt, { type MqttClient } from 'mqtt'
import { readFileSync } from 'node:fs'
import { afterAll, expect, test } from 'vitest'
import { synthesizeStations } from '../../simulator/synthetic-stations.ts'
import { eventually, startTestService, type TestService } from '../helpers/service.ts'
import type { FixtureStation } from '../helpers/station-fixture.ts'

const STATIONS = 286 // × 7 devices = 2,002 devices
let t: TestService | undefined
const clients: MqttClient[] = []
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
  await t?.stop()
})

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!)
  }))
}

test('a reconnect storm of 2,000 devices is back within 10 s and raises no device-offline', async () => {
  const template = JSON.parse(readFileSync(new URL('../../config/stations/xinhua.json', import.meta.url), 'utf8'))
  const { stations, secrets } = synthesizeStations(template, STATIONS, { rules: { heartbeatSeconds: 60 } })
  const fixtures: FixtureStation[] = stations.map((s) => ({ id: s.id, json: s as unknown as Record<string, unknown>, secrets: Object.fromEntries(s.devices.map((d) => [d.id, secrets[d.id]!])) }))
  t = await startTestService({ stations: fixtures, env: { DEVICE_MAX_MSG_PER_SEC: '0' } })
  const url = `mqtt://127.0.0.1:${t.svc.mqttPort}`
  const devices = stations.flatMap((s) => s.devices.map((d) => ({ station: s.id, id: d.id })))
  expect(devices.length).toBeGreaterThanOrEqual(2000)

  const connect = async (d: { station: string; id: string }) => {
    const c = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      clientId: d.id,
      clean: true,
      username: d.id,
      password: secrets[d.id],
      reconnectPeriod: 0,
      keepalive: 60,
      will: { topic: `stations/${d.station}/devices/${d.id}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    })
    await c.publishAsync(`stations/${d.station}/devices/${d.id}/status`, JSON.stringify({ online: true, battery: 90 }), { qos: 1, retain: true })
    return c
  }

  const first = new Map<string, MqttClient>()
  await pool(devices, 100, async (d) => void first.set(d.id, await connect(d)))
  clients.push(...first.values())
  const online = async () => ((await t!.api('/api/stations')).body as any[]).length
  expect(await online()).toBe(STATIONS)

  // The storm: the uplink blips, every device opens a new session at once while its old
  // socket is still half-open; the broker takes the session over and the old wills fire late.
  const started = Date.now()
  await pool(devices, 200, async (d) => {
    const c = await connect(d)
    clients.push(c)
  })
  for (const c of first.values()) c.stream.destroy()
  const backIn = Date.now() - started
  console.info(`reconnect storm: ${devices.length} devices back in ${backIn} ms`)
  expect(backIn).toBeLessThan(10_000)

  await new Promise((r) => setTimeout(r, 500))
  const alerts = (await t.api('/api/alerts?limit=10000')).body as any[]
  expect(alerts.filter((a) => a.rule === 'device-offline')).toEqual([])
  const statuses = await Promise.all(stations.slice(0, 20).map(async (s) => (await t!.api(`/api/stations/${s.id}`)).body))
  expect(statuses.flatMap((s: any) => s.devices).every((d: any) => d.online)).toBe(true)
  await eventually(async () => (await t!.api('/api/health')).body.mqtt.clients === devices.length, 5000, 'all sessions counted once')
}, 120_000)
