import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { expect, test } from 'vitest'
import { describeWithInfluxd, testDatabase, useInfluxd } from '../helpers/influxd.ts'
import { eventually, openLive, publishState, startTestService, type TestService } from '../helpers/service.ts'

/**
 * End to end, through MQTT: readings published while InfluxDB hangs (SIGSTOP), is killed and is
 * restarted on the same data directory all end up in InfluxDB exactly once and in order, while
 * the live status and its push carry on; and a restart of the service with a full spool loses nothing.
 */

describeWithInfluxd('InfluxDB outage, end to end', () => {
  const fx = useInfluxd()

  async function service(db: string): Promise<TestService> {
    // One device sends thousands of readings a second here: no per-device rate limit.
    const t = await startTestService({ env: { INFLUX_URL: `${fx.influxd.url}/${db}`, DEVICE_MAX_MSG_PER_SEC: '0' } })
    fx.cleanup(() => t.stop(), () => fx.influxd.query(`DROP DATABASE ${db}`))
    return t
  }

  /** The device's `seq` of every stored door reading, in time order (the seq is also in device_ts). */
  async function storedSeqs(db: string, base: number): Promise<number[]> {
    const rows = await fx.influxd.rows(`SELECT "device_ts", "open" FROM "door" WHERE "door" = 'main' ORDER BY time ASC`, db, { epoch: 'ms' })
    return rows.map((r) => (r.device_ts as number) - base)
  }

  /**
   * Publishes door readings seq from..to (QoS 1), 500 at a time (a PUBACK waits for the store's
   * next batch to be durable); open on even seq.
   */
  async function publishDoors(c: MqttClient, t: TestService, device: string, base: number, from: number, to: number, onProgress?: (seq: number) => Promise<void>) {
    for (let seq = from; seq <= to; seq += 500) {
      const end = Math.min(to, seq + 499)
      const batch: Promise<void>[] = []
      for (let s = seq; s <= end; s++) batch.push(publishState(c, t.station.id, device, { ts: base + s, seq: s, open: s % 2 === 0 }))
      await Promise.all(batch)
      await onProgress?.(end)
    }
  }

  test('5,000 readings while InfluxDB hangs, is killed and restarted: each stored once, in order; live status and alerts kept working', { timeout: 90_000 }, async () => {
    const db = testDatabase()
    const t = await service(db)
    const station = t.station.id
    const doorId = `${station}-door-main`
    const door = await t.device(doorId)
    const shelf = await t.device(`${station}-shelf`)
    const live = await openLive(t)
    const base = Date.now() - 60_000

    await publishDoors(door, t, doorId, base, 1, 10)
    await eventually(async () => (await storedSeqs(db, base)).length === 10, 5000, 'the first readings in InfluxDB')
    expect((await t.api('/api/health')).body).toMatchObject({ status: 'ok', store: { kind: 'influx', ok: true, spooled: 0 } })
    // The door opened with every key in the box: door-forced. Resolve it, so the outage can raise a new one.
    const forced = await eventually(async () => {
      const r = await t.api(`/api/alerts?state=active&station=${station}`)
      return (r.body as { id: string; rule: string; subject: string }[]).find((a) => a.rule === 'door-forced' && a.subject === 'door:main')
    }, 5000, 'door-forced before the outage')
    expect((await t.api(`/api/alerts/${forced.id}/resolve`, { method: 'POST', body: { note: 'test' } })).status).toBe(200)

    fx.influxd.pause() // SIGSTOP: connections hang, nothing answers
    let sawDegraded = false
    await publishDoors(door, t, doorId, base, 11, 5010, async (seq) => {
      if (seq === 2510) {
        // Half-way through the outage the live status still follows every reading…
        const status = await eventually(async () => {
          const r = await t.api(`/api/stations/${station}`)
          return r.body.doors.find((d: { id: string }) => d.id === 'main').open === true ? r.body : undefined
        }, 5000, 'the live status to show the door open')
        expect(status.doors.find((d: { id: string }) => d.id === 'main').stale).toBe(false)
        // …and so does its push: a professional item taken raises the level to not-ready at once…
        await publishState(shelf, station, `${station}-shelf`, { ts: Date.now(), seq: 1, items: { 'spreader-1': false } })
        await live.next((m) => m.type === 'station' && m.station.id === station && m.station.level === 'not-ready', 5000)
        // …and the alerts: the door opened again during the outage, a new door-forced was raised and pushed.
        const again = await live.next((m) => m.type === 'alert' && m.alert.rule === 'door-forced' && m.alert.state === 'active' && m.alert.id !== forced.id, 5000)
        const active = (await t.api(`/api/alerts?state=active&station=${station}`)).body as { id: string }[]
        expect(active.map((a) => a.id)).toContain(again.alert.id)
        const health = await eventually(async () => {
          const h = (await t.api('/api/health')).body
          return h.status === 'degraded' && h.store.spooled > 0 ? h : undefined
        }, 5000, '/api/health to report degraded with a spool depth')
        expect(health.store.kind).toBe('influx')
        sawDegraded = true
      }
    })
    expect(sawDegraded).toBe(true)
    const last = await eventually(async () => {
      const r = await t.api(`/api/stations/${station}`)
      return r.body.doors.find((d: { id: string }) => d.id === 'main').open === true ? r.body : undefined
    }, 5000, 'the live status to show the last reading (seq 5010, open)')
    expect(last.level).toBe('not-ready')
    await eventually(async () => (await t.api('/api/health')).body.store.spooled >= 5000, 10_000, 'all 5,000 readings spooled')
    const metrics = (await t.api('/metrics')).text
    expect(Number(/^stationwatch_spool_depth (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(5000)

    // Killed while hung, then started again on the same data directory and ports.
    await fx.influxd.kill()
    await fx.influxd.restart()
    await eventually(async () => {
      const h = (await t.api('/api/health')).body
      return h.status === 'ok' && h.store.spooled === 0
    }, 30_000, 'the spool to drain after InfluxDB came back')
    await eventually(() => !existsSync(join(t.dataDir, 'influx-spool')), 2000, 'the spool to be removed')

    const seqs = await storedSeqs(db, base)
    expect(seqs).toHaveLength(5010)
    expect(seqs).toEqual(Array.from({ length: 5010 }, (_, i) => i + 1))
    // The alert changes made it too: raised, resolved, raised again during the outage.
    const alerts = await fx.influxd.rows(`SELECT "id", "state", "subject" FROM "alert" WHERE "rule" = 'door-forced' ORDER BY time ASC`, db)
    expect(alerts.map((a) => [a.id === forced.id ? 'first' : 'second', a.state, a.subject])).toEqual([
      ['first', 'active', 'door:main'],
      ['first', 'resolved', 'door:main'],
      ['second', 'active', 'door:main'],
    ])
    // History through the API reads InfluxDB, raw and bucketed.
    const from = base - 60_000
    const raw = await t.api(`/api/stations/${station}/history?subject=door:main&from=${from}&to=${Date.now()}`)
    expect(raw.status).toBe(200)
    expect(raw.body.points).toHaveLength(5010)
    expect(raw.body.points.at(-1).v).toBe(true)
    const bucketed = await t.api(`/api/stations/${station}/history?subject=door:main&from=${from}&to=${Date.now()}&step=1h`)
    expect(bucketed.body.points.length).toBeGreaterThan(0)
    expect(bucketed.body.points.length).toBeLessThanOrEqual(3)
    live.close()
  })

  test('restarting the service with a full spool loses nothing', { timeout: 90_000 }, async () => {
    const db = testDatabase()
    const t = await service(db)
    const station = t.station.id
    const doorId = `${station}-door-main`
    const base = Date.now() - 60_000
    let door = await t.device(doorId)
    await publishDoors(door, t, doorId, base, 1, 5)
    await eventually(async () => (await storedSeqs(db, base)).length === 5, 5000, 'the first readings in InfluxDB')

    await fx.influxd.stop() // refusing connections
    await publishDoors(door, t, doorId, base, 6, 1005)
    // (Alert changes are spooled too: hence at least.)
    const before = await eventually(async () => {
      const h = (await t.api('/api/health')).body
      return h.store.spooled >= 1000 ? h : undefined
    }, 10_000, '1,000 readings spooled')

    await t.restart()
    expect((await t.api('/api/health')).body).toMatchObject({ status: 'degraded', store: { kind: 'influx', ok: false, spooled: before.store.spooled } })
    door = await t.device(doorId)
    await publishDoors(door, t, doorId, base, 1006, 1505)
    await eventually(async () => (await t.api('/api/health')).body.store.spooled >= before.store.spooled + 500, 10_000, '500 more readings spooled')

    await fx.influxd.restart()
    await eventually(async () => {
      const h = (await t.api('/api/health')).body
      return h.status === 'ok' && h.store.spooled === 0
    }, 30_000, 'the spool to drain')
    await eventually(async () => (await storedSeqs(db, base)).length >= 1505, 5000, 'every reading in InfluxDB')
    expect(await storedSeqs(db, base)).toEqual(Array.from({ length: 1505 }, (_, i) => i + 1))
    await eventually(() => !existsSync(join(t.dataDir, 'influx-spool')), 2000, 'the spool to be removed')
  })
})
