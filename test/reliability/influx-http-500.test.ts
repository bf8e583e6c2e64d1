import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFaultProxy } from '../helpers/fault-proxy.ts'
import { influxdAvailable, startInfluxd, testDatabase, type Influxd } from '../helpers/influxd.ts'
import { eventually, openLive, publishState, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'

const FAULT_MS = 30_000
const RATE_HZ = 10 // readings a second per device

/**
 * InfluxDB answers 500 to every write for 30 s while 20 devices publish: nothing is lost or
 * doubled, live status, pushes and alerts carry on, health says so, and the spool drains.
 */
const hasInfluxd = influxdAvailable()
describe.skipIf(!hasInfluxd)('store faults with 20 devices publishing', () => {
  let influxd: Influxd
  let t: TestService
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>
  const db = testDatabase()
  const stations = Array.from({ length: 10 }, (_, i) => fixtureStation(`faults${i}`))

  beforeAll(async () => {
    influxd = await startInfluxd()
    proxy = await startFaultProxy(influxd.url)
    t = await startTestService({ stations, env: { INFLUX_URL: `${proxy.url}/${db}` } })
  })
  afterAll(async () => {
    await t?.stop()
    await proxy?.close()
    await influxd?.destroy()
  })

  test('30 s of HTTP 500 from InfluxDB: every reading once, in order; alerts and live push meanwhile', { timeout: 120_000 }, async () => {
    const doors = stations.flatMap((s) => [`${s.id}-door-main`, `${s.id}-door-room`].map((id) => ({ station: s.id, id })))
    expect(doors).toHaveLength(20)
    const clients = new Map<string, MqttClient>()
    for (const d of doors) clients.set(d.id, await t.device(d.id))
    const live = await openLive(t)
    const base = Date.now() - 3_600_000
    const sent = new Map<string, number>()

    let running = true
    const publishers = doors.map(async (d) => {
      let seq = 0
      while (running) {
        seq++
        await publishState(clients.get(d.id)!, d.station, d.id, { ts: base + seq, seq, open: seq % 2 === 0 })
        sent.set(d.id, seq)
        await new Promise((r) => setTimeout(r, 1000 / RATE_HZ))
      }
    })

    await new Promise((r) => setTimeout(r, 2000))
    proxy.mode = 'error-500'
    const faultStarted = Date.now()

    // During the fault: health reports it…
    const degraded = await eventually(async () => {
      const h = (await t.api('/api/health')).body
      return h.status === 'degraded' && h.store.spooled > 0 ? h : undefined
    }, 10_000, 'health to say degraded with a spool depth')
    expect(degraded.store.kind).toBe('influx')
    // …the live state follows and is pushed, and alerts are raised and pushed.
    const shelf = await t.device('faults0-shelf')
    await publishState(shelf, 'faults0', 'faults0-shelf', { ts: Date.now(), seq: 1, items: { 'spreader-1': false, water: 2 } })
    await live.next((m) => m.type === 'station' && m.station.id === 'faults0' && m.station.level === 'not-ready', 5000)
    const low = await live.next((m) => m.type === 'alert' && m.alert.rule === 'stock-low' && m.alert.station === 'faults0', 5000)
    expect(low.alert.state).toBe('active')
    const ack = await t.api(`/api/alerts/${low.alert.id}/ack`, { method: 'POST', body: { note: 'during the outage' } })
    expect(ack.status).toBe(200)

    await new Promise((r) => setTimeout(r, Math.max(0, FAULT_MS - (Date.now() - faultStarted))))
    proxy.mode = 'pass'
    await new Promise((r) => setTimeout(r, 2000))
    running = false
    await Promise.all(publishers)

    await eventually(async () => {
      const h = (await t.api('/api/health')).body
      return h.status === 'ok' && h.store.spooled === 0
    }, 60_000, 'the spool to drain')

    let total = 0
    for (const d of doors) {
      const door = d.id.endsWith('door-main') ? 'main' : 'equipment-room'
      const rows = await influxd.rows(`SELECT "device_ts" FROM "door" WHERE "station" = '${d.station}' AND "door" = '${door}' ORDER BY time ASC`, db, { epoch: 'ms' })
      const seqs = rows.map((r) => (r.device_ts as number) - base)
      const n = sent.get(d.id)!
      expect(seqs, `readings of ${d.id}`).toEqual(Array.from({ length: n }, (_, i) => i + 1))
      total += n
    }
    console.info(`store faults: ${total} readings from 20 devices across ${FAULT_MS / 1000} s of HTTP 500, all stored once and in order`)
    // Each device waits for its PUBACK, which waits for the reading to be durable (written to
    // InfluxDB or fsync'd in the spool), so it sends less than RATE_HZ; it must not stall.
    expect(total).toBeGreaterThan(20 * 30)
    live.close()
  })
})
