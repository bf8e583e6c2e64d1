/**
 * Sustained ingest through MQTT with InfluxDB as the store versus the embedded store, and the
 * size of InfluxDB write batches under that load (issue 4: ≥ 80 % of the embedded rate, batches
 * of ≥ 1,000 points). Starts the real service twice on free loopback ports (and a real influxd),
 * publishes the same messages from the four devices of each of BENCH_STATIONS fixture stations,
 * QoS 1 with a bounded window per device (a PUBACK waits until the store made the reading durable:
 * the embedded store commits every 20 ms, the InfluxDB store every 250 ms or 5,000 points), and
 * reports messages/s until every PUBACK, then until every point is stored.
 *
 *   node --import tsx bench/influx-ingest.ts   # BENCH_MESSAGES=100000 BENCH_STATIONS=25 BENCH_WINDOW=100
 *
 * Prints a table and writes bench/results/influx-ingest-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import type { MqttClient } from 'mqtt'
import { startInfluxd, testDatabase, type Influxd } from '../test/helpers/influxd.ts'
import { eventually, startTestService, type TestService } from '../test/helpers/service.ts'
import { fixtureStation } from '../test/helpers/station-fixture.ts'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000)
/** QoS 1 messages in flight per device: a PUBACK waits until the store made the reading durable */
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100)
const STATIONS = Number(process.env.BENCH_STATIONS ?? 25)
const WARMUP = 4000

interface Result {
  store: 'embedded' | 'influx'
  messages: number
  points: number
  publishSeconds: number
  messagesPerSecond: number
  storedSeconds: number
  storedMessagesPerSecond: number
  batches?: { count: number; meanPoints: number; over1000: number; shareOver1000: number }
}

async function run(store: 'embedded' | 'influx', influxd?: Influxd): Promise<Result> {
  const db = testDatabase()
  // Four devices at full speed: the per-device rate limit is off, as for a load test.
  const stations = Array.from({ length: STATIONS }, (_, i) => fixtureStation(`bench-${i + 1}`))
  const t = await startTestService({ stations, env: { DEVICE_MAX_MSG_PER_SEC: '0', ...(store === 'influx' ? { INFLUX_URL: `${influxd!.url}/${db}` } : {}) } })
  try {
    const devices = stations.flatMap((s) => [`${s.id}-door-main`, `${s.id}-door-room`, `${s.id}-keybox`, `${s.id}-shelf`])
    const stationOf = (d: string) => d.replace(/-(door-main|door-room|keybox|shelf)$/, '')
    const clients = await Promise.all(devices.map((d) => t.device(d)))
    const seq = new Map(devices.map((d) => [d, 0]))
    const base = Date.now()
    let points = 0
    const payload = (d: string) => {
      const s = (seq.get(d) ?? 0) + 1
      seq.set(d, s)
      const head = { ts: base + s, seq: s }
      if (d.endsWith('-keybox')) return (points += 2), { ...head, slots: { '1': s % 2 ? 'key-main-1' : null, '2': 'key-room-1' } }
      if (d.endsWith('-shelf')) return (points += 3), { ...head, items: { 'spreader-1': true, extinguisher: s % 2 === 0, water: 20 + (s % 10) } }
      return (points += 1), { ...head, open: s % 2 === 0 }
    }
    const publishAll = async (n: number) => {
      const perDevice = Math.ceil(n / clients.length)
      await Promise.all(
        clients.map(async (c: MqttClient, i) => {
          const d = devices[i]!
          const topic = `stations/${stationOf(d)}/devices/${d}/state`
          const inflight = new Set<Promise<unknown>>()
          for (let k = 0; k < perDevice; k++) {
            const p = c.publishAsync(topic, JSON.stringify(payload(d)), { qos: 1 }).finally(() => inflight.delete(p))
            inflight.add(p)
            if (inflight.size >= WINDOW) await Promise.race(inflight)
          }
          await Promise.all(inflight)
        }),
      )
      return perDevice * clients.length
    }

    await publishAll(WARMUP)
    await settle(t)
    points = 0
    const started = performance.now()
    const sent = await publishAll(MESSAGES)
    const publishSeconds = (performance.now() - started) / 1000
    await settle(t)
    if (store === 'influx') {
      // Every point of the timed run in InfluxDB (plus the warm-up's).
      await eventually(async () => {
        const rows = await influxd!.query(`SELECT count("device_ts") FROM "door"; SELECT count("device_ts") FROM "key"; SELECT count("device_ts") FROM "item"`, db)
        const n = (rows.results as any[]).reduce((a, r) => a + ((r.series?.[0]?.values?.[0]?.[1] as number) ?? 0), 0)
        return n >= points
      }, 120_000, 'every point in InfluxDB')
    }
    const storedSeconds = (performance.now() - started) / 1000
    const result: Result = {
      store,
      messages: sent,
      points,
      publishSeconds: round(publishSeconds),
      messagesPerSecond: Math.round(sent / publishSeconds),
      storedSeconds: round(storedSeconds),
      storedMessagesPerSecond: Math.round(sent / storedSeconds),
    }
    if (store === 'influx') {
      const metrics = (await t.api('/metrics')).text
      const num = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN)
      const count = num(/^stationwatch_store_batch_points_count\{store="influx"\} (\d+)/m)
      const sum = num(/^stationwatch_store_batch_points_sum\{store="influx"\} (\d+)/m)
      // Cumulative bucket: batches of at most 1,000 points (warm-up and the last, partial ones included).
      const le1000 = num(/^stationwatch_store_batch_points_bucket\{le="1000",store="influx"\} (\d+)/m)
      result.batches = { count, meanPoints: Math.round(sum / count), over1000: count - le1000, shareOver1000: round((count - le1000) / count) }
    }
    return result
  } finally {
    await t.stop()
    if (influxd) await influxd.query(`DROP DATABASE ${db}`).catch(() => undefined)
  }
}

/** Waits until the store has nothing spooled and the broker is idle for a moment. */
async function settle(t: TestService): Promise<void> {
  await eventually(async () => (await t.api('/api/health')).body.store.spooled === 0, 120_000, 'nothing spooled')
  await new Promise((r) => setTimeout(r, 600))
}

const round = (n: number) => Math.round(n * 1000) / 1000

const influxd = await startInfluxd()
try {
  const embedded = await run('embedded')
  const influx = await run('influx', influxd)
  const ratio = round(influx.messagesPerSecond / embedded.messagesPerSecond)
  const storedRatio = round(influx.storedMessagesPerSecond / embedded.storedMessagesPerSecond)
  console.table([embedded, influx].map(({ batches, ...r }) => ({ ...r, ...(batches ? { batchMean: batches.meanPoints, batches: batches.count, 'share>1000': batches.shareOver1000 } : {}) })))
  console.log(`influx / embedded: ${ratio} of the ingest rate (PUBACKs), ${storedRatio} until stored; target ≥ 0.8`)
  const out = {
    bench: 'influx-ingest',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    params: { messages: MESSAGES, windowPerDevice: WINDOW, stations: STATIONS, devices: STATIONS * 4 },
    embedded,
    influx,
    ratio,
    storedRatio,
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  const file = new URL(`./results/influx-ingest-${out.at.replace(/[:.]/g, '-')}.json`, import.meta.url)
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
  console.log(`wrote ${file.pathname}`)
} finally {
  await influxd.destroy()
}
process.exit(0)
