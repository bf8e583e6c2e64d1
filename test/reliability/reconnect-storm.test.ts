import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { afterAll, expect, test } from 'vitest'
import { synthesizeStations } from '../../simulator/synthetic-stations.ts'
import { eventually, startTestService, type TestService } from '../helpers/service.ts'
import type { FixtureStation } from '../helpers/station-fixture.ts'

const STATIONS = 286 // × 7 devices = 2,002 devices
let t: TestService | undefined
let stopWorker: (() => Promise<void>) | undefined
afterAll(async () => {
  await stopWorker?.()
  await t?.stop()
})

test('a reconnect storm of 2,000 devices is back within 10 s and raises no device-offline', async () => {
  const template = JSON.parse(readFileSync(new URL('../../config/stations/xinhua.json', import.meta.url), 'utf8'))
  const { stations, secrets } = synthesizeStations(template, STATIONS, { rules: { heartbeatSeconds: 60 } as never })
  const fixtures: FixtureStation[] = stations.map((s) => ({ id: s.id, json: s, secrets: Object.fromEntries(s.devices.map((d) => [d.id, secrets[d.id]!])) }))
  t = await startTestService({ stations: fixtures, env: { DEVICE_MAX_MSG_PER_SEC: '0' } })
  const url = `mqtt://127.0.0.1:${t.svc.mqttPort}`
  const devices = stations.flatMap((s) => s.devices.map((d) => ({ station: s.id, id: d.id })))
  expect(devices.length).toBeGreaterThanOrEqual(2000)

  const worker = new Worker(new URL('./storm-worker.mjs', import.meta.url), {
    workerData: { url, devices: devices.map((d) => ({ ...d, secret: secrets[d.id] })) },
  })
  stopWorker = async () => {
    await run('close')
    await worker.terminate()
  }
  const run = (msg: 'connect' | 'storm' | 'close') =>
    new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { ms: number }) => resolve(m.ms))
      worker.once('error', reject)
      worker.postMessage(msg)
    })

  await run('connect')
  expect(((await t.api('/api/stations')).body as any[]).length).toBe(STATIONS)

  // The storm: the uplink blips, every device opens a new session at once while its old
  // socket is still half-open; the broker takes the sessions over and the old wills fire late.
  const backIn = await run('storm')
  console.info(`reconnect storm: ${devices.length} devices back in ${backIn} ms`)
  expect(backIn).toBeLessThan(10_000)

  await new Promise((r) => setTimeout(r, 500))
  const alerts = (await t.api('/api/alerts?limit=10000')).body as any[]
  expect(alerts.filter((a) => a.rule === 'device-offline')).toEqual([])
  const statuses = await Promise.all(stations.slice(0, 20).map(async (s) => (await t!.api(`/api/stations/${s.id}`)).body))
  expect(statuses.flatMap((s: any) => s.devices).every((d: any) => d.online)).toBe(true)
  await eventually(async () => (await t!.api('/api/health')).body.mqtt.clients === devices.length, 5000, 'all sessions counted once')
}, 120_000)
