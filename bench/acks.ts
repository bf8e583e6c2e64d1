/**
 * (7) Acknowledgements (issue 14): what a device with a reading or two in flight sees.
 * - PUBACK latency, p50 and p99, at 1, 100 and 1,000 QoS 1 state messages a second offered (open
 *   loop over 1,000 devices), service with the embedded store and with InfluxDB beside bare aedes
 *   (one subscriber).
 * - Throughput of a closed loop with a small window: 1 message in flight on each of 1,000 devices,
 *   and 500 in flight in total (1 on each of 500 of the 1,000 connected devices).
 * A PUBACK from the service means validated, applied and committed (docs/reliability.md); from
 * bare aedes, received. Ratios are taken within the run.
 */
import { rmSync } from 'node:fs'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { makeFleet, type Fleet } from './lib/fleet.ts'
import { runIngest, type IngestRun } from './ingest-throughput.ts'
import { testDatabase } from '../test/helpers/influxd.ts'
import { loadAverage } from './lib/proc.ts'
import { range, round, type LatencySummary } from './lib/stats.ts'
import { ADMIN_PASSWORD, startBareBroker, startLoad, startObserver, startServiceChild } from './lib/targets.ts'

type AckTarget = 'bare' | 'embedded' | 'influx'
const SERVICES = ['embedded', 'influx'] as const
const TARGETS = ['bare', ...SERVICES] as const
const RATES = [1, 100, 1000]
const WINDOWS = [
  { name: '1 in flight per device (1,000)', window: 1, active: 1000 },
  { name: '500 in flight in total', window: 1, active: 500 },
]

interface LatencyRow { target: AckTarget; rate: number; achieved: number; puback: LatencySummary; loadAverage: number }

async function pubackLatency(ctx: BenchContext, target: AckTarget, fleet: Fleet): Promise<LatencyRow[]> {
  const influxd = target === 'influx' ? await ctx.influxd() : undefined
  const db = testDatabase()
  const svc = target === 'bare' ? undefined : await startServiceChild({ stationsDir: fleet.stationsDir, ...(influxd ? { influxUrl: `${influxd.url}/${db}` } : {}), ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}) })
  const bare = target === 'bare' ? await startBareBroker() : undefined
  const port = svc?.mqttPort ?? bare!.mqttPort
  const observer = startObserver()
  const load = startLoad()
  const rows: LatencyRow[] = []
  try {
    if (svc) await observer.request('wsOpen', { httpPort: svc.httpPort, clients: 10, password: ADMIN_PASSWORD })
    else await observer.request('subscribe', { port, topic: 'stations/#', qos: 0 })
    const conn = await load.request('connect', { host: '127.0.0.1', port, devices: fleet.devices, keepalive: 60, will: false, status: false, concurrency: 100, timeoutMs: 15_000 })
    if (conn.failed) throw new Error(`${conn.failed} of ${fleet.devices.length} devices could not connect: ${conn.errors.join('; ')}`)
    // Warm-up (the first message of each device opens alerts and deadlines that later ones only update).
    await load.request('open', { rate: 2000, durationMs: ctx.quick ? 1000 : 3000, maxInflightPerDevice: 1000, drainMs: 10_000 })
    for (const rate of RATES) {
      // At least ~10 samples at 1 msg/s, ~400 at 100.
      const durationMs = rate === 1 ? (ctx.quick ? 10_000 : 30_000) : ctx.quick ? 4000 : 10_000
      const r = await load.request('open', { rate, durationMs, maxInflightPerDevice: 1000, drainMs: 10_000 }, durationMs + 30_000)
      rows.push({ target, rate, achieved: Math.round(r.achievedPerSecond), puback: r.pubackMs, loadAverage: loadAverage() })
      ctx.log(`  ${target}, ${rate} msg/s offered: PUBACK p50 ${r.pubackMs.p50} p99 ${r.pubackMs.p99} max ${r.pubackMs.max} ms (${r.pubackMs.n} samples)`)
    }
    return rows
  } finally {
    await load.stop().catch(() => undefined)
    await observer.stop().catch(() => undefined)
    await svc?.stop()
    await bare?.stop()
    if (influxd) await influxd.query(`DROP DATABASE ${db}`).catch(() => undefined)
  }
}

export async function acks(ctx: BenchContext): Promise<BenchResult> {
  const repeats = ctx.quick ? 1 : 2
  const warmupMs = ctx.quick ? 1200 : 3000
  const durationMs = ctx.quick ? 3000 : 8000
  const fleet = makeFleet(1000)
  const latency: LatencyRow[] = []
  const windows: (IngestRun & { name: string })[] = []
  try {
    for (let r = 0; r < repeats; r++) {
      for (const target of TARGETS) latency.push(...(await pubackLatency(ctx, target, fleet)))
      for (const w of WINDOWS) {
        // Interleaved, so that whatever else loads the machine falls on both alike.
        for (const target of TARGETS) {
          const run = await runIngest(ctx, target, fleet, { warmupMs, durationMs, inFlight: w.window * w.active, window: w.window, active: w.active, ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}) })
          ctx.log(`  ${w.name}, ${target}: ${run.rate} msg/s, mean PUBACK ${run.meanAckMs} ms; CPU ${run.cpu.targetMainThread} main thread, ${run.cpu.target} all threads; machine ${run.machineBusy}/2 busy`)
          windows.push({ ...run, name: w.name })
        }
      }
    }
  } finally {
    rmSync(fleet.stationsDir, { recursive: true, force: true })
  }
  const figures: Figure[] = []
  const fig = (metric: string, values: number[], unit: string, extra: Partial<Figure> = {}, digits = 1): Figure => {
    const rg = range(values)
    return { metric, value: round(rg.median, digits), unit, ...(values.length > 1 ? { range: [round(rg.min, digits), round(rg.max, digits)] as [number, number] } : {}), ...extra }
  }
  for (const rate of RATES) {
    const of = (t: AckTarget) => latency.filter((x) => x.target === t && x.rate === rate)
    figures.push(fig(`PUBACK p50 @ ${rate} msg/s: bare aedes`, of('bare').map((x) => x.puback.p50), 'ms', {}, 2))
    for (const t of SERVICES) {
      const p50 = range(of(t).map((x) => x.puback.p50)).median
      figures.push(
        fig(`PUBACK p50 @ ${rate} msg/s: service (${t}) / bare aedes`, of(t).map((x) => x.puback.p50), 'ms', { note: `bare ${of('bare').map((x) => x.puback.p50).join(', ')} ms`, ...(rate === 100 ? { target: '≤ 5', met: p50 <= 5 } : {}) }, 2),
        fig(`PUBACK p99 @ ${rate} msg/s: service (${t})`, of(t).map((x) => x.puback.p99), 'ms', {}, 2),
      )
    }
    figures.push(fig(`PUBACK p99 @ ${rate} msg/s: bare aedes`, of('bare').map((x) => x.puback.p99), 'ms', {}, 2))
  }
  for (const [i, w] of WINDOWS.entries()) {
    const of = (t: AckTarget) => windows.filter((x) => x.name === w.name && x.target === t)
    const goal = i === 0 ? 0.5 : 0.6
    figures.push(fig(`${w.name}: bare aedes`, of('bare').map((x) => x.rate), 'msg/s', {}, 0))
    for (const t of SERVICES) {
      const ratios = of(t).map((x, k) => x.rate / of('bare')[k]!.rate)
      figures.push(
        fig(`${w.name}: service (${t})`, of(t).map((x) => x.rate), 'msg/s', {}, 0),
        fig(`${w.name}: service (${t}) / bare aedes`, ratios, 'ratio', { target: `≥ ${goal}`, met: range(ratios).median >= goal }, 2),
        fig(`${w.name}: mean PUBACK, service (${t})`, of(t).map((x) => x.meanAckMs), 'ms', {}, 2),
      )
    }
  }
  return {
    name: 'acks',
    title: 'Acknowledgements: PUBACK latency and small in-flight windows',
    method:
      `1,000 devices (250 stations) connected to the service (embedded store, then InfluxDB store with influxd in its own process; 10 /ws clients) or to bare aedes (one subscriber to stations/#), each in a process of its own. ` +
      `Latency: open loop at 1, 100 and 1,000 QoS 1 state messages a second over all devices (${ctx.quick ? '10 s at 1 msg/s, 4 s at the others' : '30 s at 1 msg/s, 10 s at the others'}), PUBACK time measured in the generator. ` +
      `Throughput: closed loop with 1 message in flight on each of 1,000 devices, and on 500 of them (500 in total), ${durationMs / 1000} s after ${warmupMs / 1000} s of warm-up; mean PUBACK by Little's law. ${repeats} repeat(s), ratios within a repeat.`,
    figures,
    details: { latency, windows },
  }
}
