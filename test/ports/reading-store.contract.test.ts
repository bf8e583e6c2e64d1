import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { ReadingStore } from '../../src/ports.ts'
import { PostgresReadingStore } from '../../src/adapters/postgres/reading-store.ts'
import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import { describeWithInfluxd, testDatabase, useInfluxd } from '../helpers/influxd.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'
import { alertPoint, devicePoint, doorPoint, itemPoint, keyPoint, openEmbedded, openInflux, type StoreHandle } from './reading-stores.ts'

/**
 * The ReadingStore contract, one suite run against every implementation: the embedded SQLite
 * store and InfluxDB (a real influxd). History must look the same whichever store answers.
 */

const HOUR = 3_600_000
const MIN = 60_000
// Recent (InfluxDB refuses points older than the retention policy), and aligned to the hour.
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR

function readingStoreContract(name: string, open: () => Promise<StoreHandle>) {
  describe(`ReadingStore contract: ${name}`, () => {
    let h: StoreHandle
    let store: ReadingStore
    beforeEach(async () => {
      h = await open()
      store = h.store
    })
    afterEach(async () => {
      await h.close()
    })

    const door = (extra: Partial<Parameters<ReadingStore['history']>[0]> = {}) =>
      store.history({ station: 's1', subject: 'door:main', from: T0 - HOUR, to: T0 + 24 * HOUR, limit: 10_000, valueType: 'boolean', ...extra })

    test('raw history returns every reading of the subject in time order, open/closed as booleans', async () => {
      store.write([doorPoint(T0 + 3000, true), doorPoint(T0 + 1000, false)])
      store.write([doorPoint(T0 + 2000, true)])
      await store.flush()
      expect(await door()).toEqual([
        { t: T0 + 1000, v: false },
        { t: T0 + 2000, v: true },
        { t: T0 + 3000, v: true },
      ])
    })

    test('only the asked station and subject come back', async () => {
      store.write([
        doorPoint(T0 + 1000, true),
        doorPoint(T0 + 2000, true, { door: 'equipment-room' }),
        doorPoint(T0 + 3000, true, { station: 's2' }),
        itemPoint(T0 + 4000, true, { item: 'main' }),
        keyPoint(T0 + 5000, true, { key: 'main' }),
      ])
      await store.flush()
      expect(await door()).toEqual([{ t: T0 + 1000, v: true }])
      expect(await door({ station: 's2' })).toEqual([{ t: T0 + 3000, v: true }])
      expect(await door({ subject: 'door:nowhere' })).toEqual([])
    })

    test('counted items come back as numbers, presence items and keys as booleans', async () => {
      store.write([itemPoint(T0 + 1000, 30), itemPoint(T0 + 2000, 12), itemPoint(T0 + 1500, false), itemPoint(T0 + 2500, true)])
      store.write([keyPoint(T0 + 1000, false, { user: 'badge-0042' }), keyPoint(T0 + 2000, true)])
      await store.flush()
      const range = { station: 's1', from: T0, to: T0 + HOUR, limit: 100 }
      expect(await store.history({ ...range, subject: 'item:water', valueType: 'number' })).toEqual([
        { t: T0 + 1000, v: 30 },
        { t: T0 + 2000, v: 12 },
      ])
      expect(await store.history({ ...range, subject: 'item:spreader-1', valueType: 'boolean' })).toEqual([
        { t: T0 + 1500, v: false },
        { t: T0 + 2500, v: true },
      ])
      expect(await store.history({ ...range, subject: 'key:key-main-1', valueType: 'boolean' })).toEqual([
        { t: T0 + 1000, v: false },
        { t: T0 + 2000, v: true },
      ])
    })

    test('device subjects report online', async () => {
      store.write([devicePoint(T0 + 1000, true, { battery: 87, rssi: -61 }), devicePoint(T0 + 2000, false)])
      await store.flush()
      expect(await store.history({ station: 's1', subject: 'device:s1-door-main', from: T0, to: T0 + HOUR, limit: 100, valueType: 'boolean' })).toEqual([
        { t: T0 + 1000, v: true },
        { t: T0 + 2000, v: false },
      ])
    })

    test('from and to are inclusive, in milliseconds', async () => {
      store.write([999, 1000, 1001, 1999, 2000, 2001].map((d, i) => doorPoint(T0 + d, i % 2 === 0)))
      await store.flush()
      const pts = await door({ from: T0 + 1000, to: T0 + 2000 })
      expect(pts.map((p) => p.t - T0)).toEqual([1000, 1001, 1999, 2000])
    })

    test('limit caps a raw answer, keeping the oldest', async () => {
      store.write(Array.from({ length: 50 }, (_, i) => doorPoint(T0 + i * 1000, i % 2 === 0)))
      await store.flush()
      const pts = await door({ limit: 10 })
      expect(pts).toHaveLength(10)
      expect(pts[0]!.t).toBe(T0)
      expect(pts[9]!.t).toBe(T0 + 9000)
    })

    test('with step: one point per bucket with its last value, at the bucket start; empty buckets are left out', async () => {
      store.write([
        doorPoint(T0 + 5 * MIN, true),
        doorPoint(T0 + 20 * MIN, false),
        doorPoint(T0 + 50 * MIN, true),
        // the next hour is empty
        doorPoint(T0 + 2 * HOUR + 1, false),
        doorPoint(T0 + 2 * HOUR + 59 * MIN, true),
      ])
      await store.flush()
      expect(await door({ from: T0, to: T0 + 3 * HOUR, step: HOUR })).toEqual([
        { t: T0, v: true },
        { t: T0 + 2 * HOUR, v: true },
      ])
      expect(await door({ from: T0, to: T0 + 3 * HOUR, step: 30 * MIN })).toEqual([
        { t: T0, v: false },
        { t: T0 + 30 * MIN, v: true },
        { t: T0 + 2 * HOUR, v: false },
        { t: T0 + 2 * HOUR + 30 * MIN, v: true },
      ])
    })

    test('with step, counted items report the last count of each bucket', async () => {
      store.write([itemPoint(T0 + 1, 30), itemPoint(T0 + 2, 29), itemPoint(T0 + HOUR + 5, 24), itemPoint(T0 + HOUR + 6, 31)])
      await store.flush()
      expect(await store.history({ station: 's1', subject: 'item:water', from: T0, to: T0 + 2 * HOUR, step: HOUR, limit: 100, valueType: 'number' })).toEqual([
        { t: T0, v: 29 },
        { t: T0 + HOUR, v: 31 },
      ])
    })

    test('a month of door readings with a step of 2 h comes back as a few hundred points', async () => {
      // Buckets start at multiples of the step since the epoch, in both stores (as InfluxQL does).
      const start = Math.floor((T0 - 30 * 24 * HOUR) / (2 * HOUR)) * 2 * HOUR
      const pts = Array.from({ length: 30 * 24 * 6 }, (_, i) => doorPoint(start + i * 10 * MIN + 17, i % 3 === 0))
      store.write(pts)
      await store.flush()
      const out = await door({ from: start, to: start + 30 * 24 * HOUR - 1, step: 2 * HOUR })
      expect(out).toHaveLength(360)
      expect(out[0]).toEqual({ t: start, v: false }) // 11 readings, the last (i = 11) is closed
      expect(out.every((p, i) => p.t === start + i * 2 * HOUR)).toBe(true)
    })

    test('two readings of one series in the same millisecond are both kept', async () => {
      store.write([doorPoint(T0 + 1000, true), doorPoint(T0 + 1000, false)])
      store.write([doorPoint(T0 + 1000, true)])
      await store.flush()
      const pts = await door()
      expect(pts).toHaveLength(3)
      expect(pts.every((p) => p.t === T0 + 1000)).toBe(true)
      expect(pts.map((p) => p.v)).toEqual([true, false, true])
    })

    test('station and subject values are data, never query text', async () => {
      const station = `we"ird' st,a=tion\\x`
      store.write([doorPoint(T0 + 1000, true, { station }), doorPoint(T0 + 2000, true)])
      await store.flush()
      expect(await door({ station })).toEqual([{ t: T0 + 1000, v: true }])
      for (const evil of [`s1' OR '1'='1`, `s1" OR "1"="1`, `s1\\'; DROP DATABASE x; --`, `$station`]) {
        expect(await door({ station: evil })).toEqual([])
        expect(await door({ subject: `door:${evil}` })).toEqual([])
      }
      expect(await door()).toEqual([{ t: T0 + 2000, v: true }])
    })

    test('alert changes are accepted alongside readings', async () => {
      store.write([alertPoint(T0 + 1000), alertPoint(T0 + 2000, { state: 'acknowledged' }), doorPoint(T0 + 3000, true)])
      await store.flush()
      expect(await door()).toEqual([{ t: T0 + 3000, v: true }])
      expect(store.health()).toMatchObject({ ok: true, spooled: 0 })
    })

    test('health names the store kind, ok, nothing spooled', async () => {
      store.write([doorPoint(T0, true)])
      await store.flush()
      const health = store.health()
      expect(health).toMatchObject({ kind: store.kind, ok: true, spooled: 0 })
      expect(['embedded', 'influx', 'postgres']).toContain(health.kind)
    })

    test('write() only queues: 20,000 points take no disk or network round trip each', async () => {
      const pts = Array.from({ length: 20_000 }, (_, i) => doorPoint(T0 + i, i % 2 === 0))
      const started = performance.now()
      for (let i = 0; i < pts.length; i += 2) store.write(pts.slice(i, i + 2))
      const ms = performance.now() - started
      await store.flush()
      expect(ms).toBeLessThan(1500)
      expect(await door({ from: T0, to: T0 + 20_000, limit: 10_000 })).toHaveLength(10_000)
    })

    test('readings are still there after the store is closed and opened again', async () => {
      store.write([doorPoint(T0 + 1000, true), keyPoint(T0 + 1000, true)])
      store = await h.reopen()
      expect(await door()).toEqual([{ t: T0 + 1000, v: true }])
    })
  })
}

readingStoreContract('embedded (SQLite)', async () => openEmbedded())

describeWithInfluxd('with a real influxd', () => {
  const fx = useInfluxd()
  readingStoreContract('InfluxDB 1.x', async () => {
    const db = testDatabase()
    const h = await openInflux(fx.influxd, db)
    return {
      get store() {
        return h.store
      },
      reopen: () => h.reopen(),
      async close() {
        await h.close()
        await fx.influxd.query(`DROP DATABASE ${db}`)
      },
    }
  })
})

// Cluster mode without InfluxDB: readings in PostgreSQL, through the state store's group writer.
describeWithPostgres('with a real PostgreSQL', () => {
  const pg = usePostgres()
  readingStoreContract('PostgreSQL', async () => {
    const url = await pg.database()
    let state = await PostgresStateStore.open({ url })
    let store: ReadingStore = new PostgresReadingStore(state.pool, state.writer)
    return {
      get store() {
        return store
      },
      async reopen() {
        await store.close()
        await state.stop()
        state = await PostgresStateStore.open({ url })
        return (store = new PostgresReadingStore(state.pool, state.writer))
      },
      async close() {
        await store.close()
        await state.stop()
      },
    }
  })
})
