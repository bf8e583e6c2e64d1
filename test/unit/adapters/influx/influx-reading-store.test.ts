import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { describe, expect, test } from 'vitest'
import type { DropReason, InfluxStoreObserver } from '../../../../src/adapters/influx/influx-reading-store.ts'
import { createReadingStore } from '../../../../src/wiring/reading-store.ts'
import { parseEnv } from '../../../../src/config/env.ts'
import { createMetrics } from '../../../../src/observability/metrics.ts'
import type { ReadingStore } from '../../../../src/ports.ts'
import { describeWithInfluxd, freePorts, startInfluxd, testDatabase, useInfluxd } from '../../../helpers/influxd.ts'
import { eventually } from '../../../helpers/service.ts'
import { tempDir } from '../../../helpers/station-fixture.ts'
import { alertPoint, devicePoint, doorPoint, itemPoint, keyPoint, openInflux, type InfluxTestOptions } from '../../../ports/reading-stores.ts'
import { startFaultProxy } from '../../../helpers/fault-proxy.ts'

const HOUR = 3_600_000
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR

/** Short timings, so that outages are noticed in tests within a fraction of a second. */
const FAST: InfluxTestOptions = { spillAfterMs: 300, writeTimeoutMs: 1500, retryMinMs: 50, retryMaxMs: 300, pingIntervalMs: 300, flushIntervalMs: 50, waitForInfluxMs: 500 }

interface Recorder {
  batches: number[]
  dropped: Map<DropReason, number>
  spool: { depth: number; bytes: number; overLimit: boolean }
  failures: number
  observer: InfluxStoreObserver
}

function recorder(): Recorder {
  const r: Recorder = {
    batches: [],
    dropped: new Map(),
    spool: { depth: 0, bytes: 0, overLimit: false },
    failures: 0,
    observer: {
      written: (_s, n) => void r.batches.push(n),
      spool: (depth, bytes, overLimit) => void (r.spool = { depth, bytes, overLimit }),
      dropped: (n, reason) => void r.dropped.set(reason, (r.dropped.get(reason) ?? 0) + n),
      writeFailed: () => void r.failures++,
    },
  }
  return r
}

function doors(n: number, from = T0, o: { station?: string } = {}) {
  return Array.from({ length: n }, (_, i) => doorPoint(from + i, i % 2 === 0, { deviceTs: i, ...o }))
}

const spoolDir = (dataDir: string) => join(dataDir, 'influx-spool')

describeWithInfluxd('InfluxDB store', () => {
  const fx = useInfluxd()

  /** `device_ts` of every door point, in time order: tells both count and order. */
  async function doorSequence(db: string): Promise<number[]> {
    const rows = await fx.influxd.rows('SELECT "device_ts" FROM "door" ORDER BY time ASC', db, { epoch: 'ms' })
    return rows.map((r) => r.device_ts as number)
  }

  async function open(db: string, opts: InfluxTestOptions & { via?: string } = {}) {
    const h = await openInflux({ url: opts.via ?? fx.influxd.url }, db, { ...FAST, ...opts })
    fx.cleanup(() => h.close(), () => fx.influxd.query(`DROP DATABASE ${db}`))
    return h
  }

  describe('database set-up', () => {
    test('creates the database and its retention policy, as the default', async () => {
      const db = testDatabase()
      await open(db, { retention: '30d' })
      const rps = await fx.influxd.rows(`SHOW RETENTION POLICIES ON ${db}`, db)
      expect(rps.find((r) => r.name === 'stationwatch')).toMatchObject({ duration: '720h0m0s', default: true })
    })

    test('alters an existing retention policy rather than re-creating it, so its data stays', async () => {
      const db = testDatabase()
      await fx.influxd.query(`CREATE DATABASE ${db}`)
      await fx.influxd.query(`CREATE RETENTION POLICY stationwatch ON ${db} DURATION 2h REPLICATION 1`)
      const now = Date.now()
      expect((await fx.influxd.writeLines(db, [`door,station=s1,door=main,device=d open=true,device_ts=1i ${now}000000`], 'stationwatch')).status).toBe(204)

      let h = await open(db, { retention: '365d' })
      let rp = (await fx.influxd.rows(`SHOW RETENTION POLICIES ON ${db}`, db)).find((r) => r.name === 'stationwatch')
      expect(rp).toMatchObject({ duration: '8760h0m0s', default: true })
      expect(await fx.influxd.rows(`SELECT * FROM stationwatch.door`, db)).toHaveLength(1)
      await h.close()

      // Shorter than the shard groups of a 365d policy (7 days): those are shortened along with it.
      h = await open(db, { retention: '1d' })
      rp = (await fx.influxd.rows(`SHOW RETENTION POLICIES ON ${db}`, db)).find((r) => r.name === 'stationwatch')
      expect(rp).toMatchObject({ duration: '24h0m0s', default: true })
      expect(await fx.influxd.rows(`SELECT * FROM stationwatch.door`, db)).toHaveLength(1)
    })
  })

  test("points carry the contract's measurements, tags and field types; timestamps never collide", async () => {
    const db = testDatabase()
    const { store } = await open(db)
    store.write(Array.from({ length: 1000 }, (_, i) => doorPoint(T0, i % 2 === 0, { deviceTs: i })))
    store.write([keyPoint(T0, false, { slot: null, user: 'badge "0042"\nnext line' }), keyPoint(T0 + 1, true)])
    store.write([itemPoint(T0, 30), itemPoint(T0, true), devicePoint(T0, true, { battery: 87, rssi: -61 }), alertPoint(T0)])
    await store.flush()

    // 1000 readings of one series in one millisecond: 1000 distinct nanosecond timestamps.
    const times = await fx.influxd.rows('SELECT "open" FROM "door"', db, { epoch: undefined as never })
    expect(times).toHaveLength(1000)
    expect(await doorSequence(db)).toEqual(Array.from({ length: 1000 }, (_, i) => i))

    const fieldTypes = async (m: string) => Object.fromEntries((await fx.influxd.rows(`SHOW FIELD KEYS FROM "${m}"`, db)).map((r) => [r.fieldKey, r.fieldType]))
    const tagKeys = async (m: string) => (await fx.influxd.rows(`SHOW TAG KEYS FROM "${m}"`, db)).map((r) => r.tagKey).sort()
    expect(await fieldTypes('door')).toEqual({ open: 'boolean', device_ts: 'integer' })
    expect(await tagKeys('door')).toEqual(['device', 'door', 'station'])
    expect(await fieldTypes('key')).toEqual({ present: 'boolean', slot: 'string', user: 'string', device_ts: 'integer' })
    expect(await tagKeys('key')).toEqual(['device', 'key', 'station'])
    expect(await fieldTypes('item')).toEqual({ count: 'integer', present: 'boolean', device_ts: 'integer' })
    expect(await tagKeys('item')).toEqual(['category', 'device', 'item', 'kind', 'station'])
    expect(await fieldTypes('device')).toEqual({ online: 'boolean', battery: 'integer', rssi: 'integer' })
    expect(await tagKeys('device')).toEqual(['device', 'station', 'type'])
    expect(await fieldTypes('alert')).toEqual({ id: 'string', state: 'string', subject: 'string', escalated: 'boolean' })
    expect(await tagKeys('alert')).toEqual(['rule', 'severity', 'station'])

    const keys = await fx.influxd.rows('SELECT * FROM "key" ORDER BY time ASC', db, { epoch: 'ms' })
    expect(keys[0]).toMatchObject({ time: T0, present: false, slot: null, user: 'badge "0042"\nnext line', station: 's1', key: 'key-main-1' })
    expect(keys[1]).toMatchObject({ time: T0 + 1, present: true, slot: '1' })
  })

  test('writes are batched: under load a write carries thousands of points', async () => {
    const db = testDatabase()
    const rec = recorder()
    const { store } = await open(db, { observer: rec.observer, flushIntervalMs: 250, spillAfterMs: 5000, writeTimeoutMs: 10_000 })
    // 40,000 readings at about 50,000 a second, two per message like a keybox.
    for (let i = 0; i < 40_000; i += 500) {
      for (let j = 0; j < 500; j += 2) store.write(doors(2, T0 + i + j))
      await new Promise((r) => setTimeout(r, 10))
    }
    await store.flush()
    await eventually(() => store.health().spooled === 0, 10_000, 'nothing spooled')
    await store.flush()
    expect(await fx.influxd.rows('SELECT count("open") FROM "door"', db)).toMatchObject([{ count: 40_000 }])
    expect(rec.batches.reduce((a, b) => a + b, 0)).toBe(40_000)
    expect(rec.batches.slice(0, -1).every((n) => n >= 1000)).toBe(true)
    expect(Math.max(...rec.batches)).toBe(5000)
  })

  test('durable() waits for the batch that holds the points, without a write per call', async () => {
    const db = testDatabase()
    const rec = recorder()
    const { store } = await open(db, { observer: rec.observer, flushIntervalMs: 100 })
    const acks: Promise<void>[] = []
    for (let i = 0; i < 500; i++) {
      store.write([doorPoint(T0 + i, i % 2 === 0, { deviceTs: i })])
      acks.push(store.durable())
    }
    await Promise.all(acks)
    // Every acknowledged point is in InfluxDB, and it took one or two writes, not 500.
    expect(await doorSequence(db)).toEqual(Array.from({ length: 500 }, (_, i) => i))
    expect(rec.batches.length).toBeLessThanOrEqual(2)
  })

  test('durable() does not wait for the batch window: released by the write (direct) or the spool fsync (InfluxDB away) of that turn', async () => {
    // A 2 s window, so that waiting for it cannot pass for a fast acknowledgement on a loaded machine.
    const db = testDatabase()
    const { store } = await open(db, { flushIntervalMs: 2000 })
    let t0 = performance.now()
    store.write([doorPoint(T0, true, { deviceTs: 1 })])
    await store.durable()
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(await doorSequence(db)).toEqual([1])

    const [port] = await freePorts(1)
    const away = await openInflux({ url: `http://127.0.0.1:${port}` }, testDatabase(), { ...FAST, flushIntervalMs: 2000, waitForInfluxMs: 100 })
    fx.cleanup(() => away.close())
    expect(away.store.health()).toMatchObject({ ok: false, spooled: 0 })
    t0 = performance.now()
    away.store.write([doorPoint(T0, true, { deviceTs: 1 })])
    const from = away.store.position() - 1
    await away.store.durable()
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(away.store.health()).toMatchObject({ spooled: 1 })
    expect(away.store.kept(from, away.store.position())).toBe(true)
  })

  test('a hung InfluxDB: the write is spooled after spillAfterMs, ingest goes on; when it answers the spool drains in order and is removed', async () => {
    const db = testDatabase()
    const proxy = await startFaultProxy(fx.influxd.url)
    fx.cleanup(() => proxy.close())
    const rec = recorder()
    const { store, dataDir } = await open(db, { via: proxy.url, observer: rec.observer })
    store.write(doors(10))
    await store.flush()
    expect(await doorSequence(db)).toHaveLength(10)

    proxy.mode = 'hang'
    store.write(doors(100, T0 + 10).map((p, i) => ({ ...p, fields: { ...p.fields, device_ts: 10 + i } })))
    await eventually(() => store.health().spooled === 100, 3000, 'the hung batch to be spooled')
    await store.flush()
    expect(store.health()).toMatchObject({ kind: 'influx', ok: false, spooled: 100 })
    expect(readdirSync(spoolDir(dataDir)).some((f) => f.endsWith('.jsonl'))).toBe(true)

    // Ingest is never held up by the hung server.
    const started = performance.now()
    for (let i = 0; i < 10_000; i++) store.write([doorPoint(T0 + 110 + i, i % 2 === 0, { deviceTs: 110 + i })])
    expect(performance.now() - started).toBeLessThan(1000)
    await store.flush()
    expect(store.health().spooled).toBe(10_100)
    expect(rec.spool.depth).toBe(10_100)

    proxy.mode = 'pass'
    await eventually(() => store.health().ok && store.health().spooled === 0, 15_000, 'the spool to drain')
    await store.flush()
    await eventually(() => !existsSync(spoolDir(dataDir)), 2000, 'the spool to be removed')
    expect(await doorSequence(db)).toEqual(Array.from({ length: 10_110 }, (_, i) => i))
    expect(rec.spool.depth).toBe(0)
  })

  test('500 answers and dropped connections: spooled, retried, nothing lost or doubled', async () => {
    const db = testDatabase()
    const proxy = await startFaultProxy(fx.influxd.url)
    fx.cleanup(() => proxy.close())
    const { store } = await open(db, { via: proxy.url })
    proxy.mode = 'error-500'
    store.write(doors(300))
    await eventually(() => store.health().spooled === 300, 3000, 'spooled after a 500')
    expect(store.health().error).toMatch(/500/)
    proxy.mode = 'reset'
    store.write(doors(300, T0 + 300).map((p, i) => ({ ...p, fields: { ...p.fields, device_ts: 300 + i } })))
    await eventually(() => store.health().spooled === 600, 3000, 'spooled after resets')
    proxy.mode = 'pass'
    await eventually(() => store.health().ok && store.health().spooled === 0, 10_000, 'the spool to drain')
    await store.flush()
    expect(await doorSequence(db)).toEqual(Array.from({ length: 600 }, (_, i) => i))
  })

  test('InfluxDB down at start: the store starts at once and spools; when InfluxDB starts, everything arrives', async () => {
    const own = await startInfluxd()
    fx.cleanup(() => own.destroy())
    await own.stop()
    const db = testDatabase()
    const started = performance.now()
    const h = await openInflux(own, db, { ...FAST, waitForInfluxMs: 300 })
    fx.cleanup(() => h.close())
    expect(performance.now() - started).toBeLessThan(2000)
    expect(h.store.health()).toMatchObject({ ok: false })
    h.store.write(doors(300))
    await h.store.flush()
    expect(h.store.health()).toMatchObject({ ok: false, spooled: 300 })
    await own.restart()
    await eventually(() => h.store.health().ok && h.store.health().spooled === 0, 10_000, 'the spool to drain')
    await h.store.flush()
    const rows = await own.rows('SELECT "device_ts" FROM "door" ORDER BY time ASC', db, { epoch: 'ms' })
    expect(rows.map((r) => r.device_ts)).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })

  test('a restart with a non-empty spool loses nothing: the old spool drains, then newer readings follow', async () => {
    const own = await startInfluxd()
    fx.cleanup(() => own.destroy())
    await own.stop()
    const db = testDatabase()
    const first = await openInflux(own, db, { ...FAST, waitForInfluxMs: 0 })
    fx.cleanup(() => first.close())
    first.store.write(doors(400))
    await first.store.flush()
    expect(first.store.health().spooled).toBe(400)
    await first.store.close()
    expect(readdirSync(spoolDir(first.dataDir)).filter((f) => f.endsWith('.jsonl')).length).toBeGreaterThan(0)

    await own.restart()
    const second = await openInflux(own, db, { ...FAST, dataDir: first.dataDir })
    fx.cleanup(() => second.close())
    expect(second.store.health().spooled).toBeGreaterThan(0)
    second.store.write(doors(100, T0 + 400).map((p, i) => ({ ...p, fields: { ...p.fields, device_ts: 400 + i } })))
    await eventually(() => second.store.health().ok && second.store.health().spooled === 0, 10_000, 'the spool to drain')
    await second.store.flush()
    const rows = await own.rows('SELECT "device_ts" FROM "door" ORDER BY time ASC', db, { epoch: 'ms' })
    expect(rows.map((r) => r.device_ts)).toEqual(Array.from({ length: 500 }, (_, i) => i))
    await eventually(() => !existsSync(spoolDir(first.dataDir)), 2000, 'the spool to be removed')
  })

  test('a spool left by a crash: a torn last line is cut off, lines already sent are not doubled', async () => {
    const db = testDatabase()
    const dataDir = tempDir('sw-influx-data-')
    fx.cleanup(async () => rmSync(dataDir, { recursive: true, force: true }))
    const line = (i: number) => `door,device=d,door=main,station=s1 device_ts=${i}i,open=true ${T0 + i}000000`
    // The crash came after lines 0-1 reached InfluxDB but before the cursor moved past them.
    await fx.influxd.query(`CREATE DATABASE ${db}`)
    await open(db).then((h) => h.close())
    expect((await fx.influxd.writeLines(db, [line(0), line(1)], 'stationwatch')).status).toBe(204)
    mkdirSync(spoolDir(dataDir), { recursive: true })
    writeFileSync(join(spoolDir(dataDir), 'seg-000000000007.jsonl'), [0, 1, 2, 3].map((i) => JSON.stringify(line(i)) + '\n').join('') + '"door,device=d,door=ma')
    const h = await open(db, { dataDir })
    await eventually(() => h.store.health().spooled === 0, 5000, 'the spool to drain')
    await h.store.flush()
    expect(await doorSequence(db)).toEqual([0, 1, 2, 3])
    await eventually(() => !existsSync(spoolDir(dataDir)), 2000, 'the spool to be removed')
  })

  test('a batch InfluxDB refuses for good (field type conflict) is counted and logged, and does not block what follows', async () => {
    const db = testDatabase()
    const rec = recorder()
    const logs: { level: number; msg: string }[] = []
    const log = pino({ level: 'warn' }, { write: (s: string) => logs.push(JSON.parse(s)) })
    const { store } = await open(db, { observer: rec.observer, log })
    // Someone else wrote `open` as an integer into this shard first.
    expect((await fx.influxd.writeLines(db, [`door,station=other,door=x open=1i ${T0}000000`], 'stationwatch')).status).toBe(204)
    store.write([...doors(3), keyPoint(T0 + 5, true)])
    await store.flush()
    store.write([keyPoint(T0 + 6, false)])
    await store.flush()
    expect(rec.dropped.get('rejected')).toBe(3)
    expect(store.health()).toMatchObject({ ok: true, spooled: 0 })
    expect(await fx.influxd.rows('SELECT "present" FROM "key"', db)).toHaveLength(2)
    expect(logs.some((l) => l.level >= 50 && /rejected/.test(l.msg))).toBe(true)
  })

  test('a database dropped while running is created again and nothing is lost', async () => {
    const db = testDatabase()
    const { store } = await open(db)
    store.write(doors(5))
    await store.flush()
    await fx.influxd.query(`DROP DATABASE ${db}`)
    store.write(doors(5, T0 + 5).map((p, i) => ({ ...p, fields: { ...p.fields, device_ts: 5 + i } })))
    await store.flush()
    await eventually(() => store.health().ok && store.health().spooled === 0, 10_000, 'the spool to drain')
    await store.flush()
    expect(await doorSequence(db)).toEqual([5, 6, 7, 8, 9])
  })

  test('a spool over its limit: readings are dropped, loudly, in health, metrics and logs', async () => {
    const [closedPort] = await freePorts(1)
    const dataDir = tempDir('sw-influx-data-')
    fx.cleanup(async () => rmSync(dataDir, { recursive: true, force: true }))
    const metrics = createMetrics()
    const logs: { level: number; msg: string }[] = []
    const log = pino({ level: 'warn' }, { write: (s: string) => logs.push(JSON.parse(s)) })
    // 20 KiB, about 200 readings
    const store: ReadingStore = await createReadingStore(
      parseEnv({ INFLUX_URL: `http://127.0.0.1:${closedPort}/${testDatabase()}`, DATA_DIR: dataDir, INFLUX_SPOOL_MAX_MB: '0.02' }),
      { db: undefined as never, writer: undefined as never, metrics, log },
    )
    fx.cleanup(() => store.close())
    expect(store.kind).toBe('influx')
    store.write(doors(1000))
    await store.flush()
    const health = store.health()
    expect(health.ok).toBe(false)
    expect(health.error).toMatch(/spool is full/)
    expect(health.spooled).toBeGreaterThan(50)
    expect(health.spooled).toBeLessThan(1000)

    const text = await metrics.registry.metrics()
    expect(text).toMatch(/^stationwatch_spool_over_limit 1$/m)
    expect(text).toMatch(/^stationwatch_spool_limit_bytes 20971\.52$/m)
    expect(text).toMatch(new RegExp(`^stationwatch_store_dropped_points_total\\{store="influx",reason="spool-full"\\} ${1000 - health.spooled}$`, 'm'))
    expect(text).toMatch(new RegExp(`^stationwatch_spool_depth ${health.spooled}$`, 'm'))
    const bytes = Number(/^stationwatch_spool_bytes (\d+)$/m.exec(text)?.[1])
    expect(bytes).toBeGreaterThan(0)
    expect(bytes).toBeLessThanOrEqual(20_972)
    expect(logs.some((l) => l.level >= 50 && /over its limit/.test(l.msg) && /DROPPED/.test(l.msg))).toBe(true)
  })
})
