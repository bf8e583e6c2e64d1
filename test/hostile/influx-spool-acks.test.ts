// Issue 12 item 11 (contract v2 A3): with InfluxDB away and the spool full, a reading the spool
// drops gets no PUBACK; once InfluxDB is back, what was acknowledged is exactly what is stored, and
// the readings the device sends again are stored too (not ignored as duplicates).
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { influxdAvailable, startInfluxd, testDatabase, type Influxd } from '../helpers/influxd.ts'
import { eventually } from '../helpers/service.ts'
import { metricValue, sleep, watchUnhandled } from './hostile-helpers.ts'
import { packetsOf, PUBACK, rawDevice, startRig, statePublish, type Rig } from './mqtt-rig.ts'

const S = 'spoolacks'
const hasInfluxd = influxdAvailable()

describe.skipIf(!hasInfluxd)('a full InfluxDB spool', () => {
  let influxd: Influxd
  let rig: Rig
  const db = testDatabase()
  const unhandled = watchUnhandled()
  beforeAll(async () => {
    influxd = await startInfluxd()
    // A spool of 4 KiB: a few dozen points.
    rig = await startRig(S, { INFLUX_URL: `${influxd.url}/${db}`, INFLUX_SPOOL_MAX_MB: '0.004', DEVICE_MAX_MSG_PER_SEC: '0' })
  }, 60_000)
  afterAll(async () => {
    await rig?.stop()
    await influxd?.destroy()
    unhandled.uninstall()
  })

  const storedWater = async () => (await influxd.rows(`SELECT "count" FROM "item" WHERE "item" = 'water'`, db)).length

  test('readings dropped by the full spool are not acknowledged: acked == stored after InfluxDB returns, and their resends are stored', async () => {
    expect(await rig.goodPuback()).toBeLessThan(1000)
    await influxd.stop()
    const creds = { clientId: rig.dev.shelf, username: rig.dev.shelf, password: rig.st.secrets[rig.dev.shelf]! }
    const raw = await rawDevice(rig.svc.mqttPort, creds)
    // In groups, as a device with a backlog would send them.
    for (let i = 0; i < 200; i += 20) {
      raw.socket.write(Buffer.concat(Array.from({ length: 20 }, (_, k) => statePublish(S, rig.dev.shelf, i + k + 1, { items: { water: i + k + 1 } }))))
      await sleep(100)
    }
    await sleep(2000)
    const acked = new Set(packetsOf(raw).filter((p) => p.type === PUBACK).map((p) => p.body.readUInt16BE(0) - 1))
    expect(metricValue(await rig.metrics(), 'stationwatch_store_dropped_points_total', { reason: 'spool-full' })).toBeGreaterThan(0)
    expect(acked.size).toBeGreaterThan(0)
    expect(acked.size).toBeLessThan(200)
    expect(raw.isClosed()).toBe(false)
    raw.socket.destroy()

    await influxd.restart()
    await eventually(async () => ((await rig.api('/api/health')) as { store: { spooled: number; ok: boolean } }).store.spooled === 0, 20_000, 'the spool to drain')
    await sleep(500)
    expect(await storedWater()).toBe(acked.size)

    // The device sends what was not acknowledged again: each one is stored and acknowledged.
    const again = await rawDevice(rig.svc.mqttPort, creds)
    const missing = Array.from({ length: 200 }, (_, i) => i + 1).filter((seq) => !acked.has(seq))
    again.socket.write(Buffer.concat(missing.map((seq) => statePublish(S, rig.dev.shelf, seq, { items: { water: seq } }))))
    await eventually(() => packetsOf(again).filter((p) => p.type === PUBACK).length === missing.length, 10_000, 'the resends to be acknowledged')
    again.socket.destroy()
    await eventually(async () => (await storedWater()) === 200, 10_000, 'all 200 readings in InfluxDB')
    expect(await rig.goodPuback()).toBeLessThan(1000)
    unhandled.check()
  }, 90_000)
})
