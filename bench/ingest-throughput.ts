/**
 * (1) Ingest throughput: QoS 1 state messages from 100 to 1,000 devices through the whole
 * pipeline (authorize → validate → apply → rules → store → push to 10 /ws clients), with the
 * embedded store and with InfluxDB, against a bare aedes broker (no hooks, the same publishers,
 * one subscriber) in the same run. Closed loop: every device keeps a window of messages in
 * flight; a PUBACK from the service means the reading is applied and durable (the group commit,
 * or InfluxDB / the fsync'd spool), so PUBACKs a second are messages accepted and stored.
 */
import { rmSync } from 'node:fs'
import { testDatabase } from '../test/helpers/influxd.ts'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { makeFleet, type Fleet } from './lib/fleet.ts'
import { cpus } from 'node:os'
import { cpuShare, loadAverage, machineTicks, sampleProc } from './lib/proc.ts'
import { range, round, sleep } from './lib/stats.ts'
import { ADMIN_PASSWORD, metric, metricsText, startBareBroker, startLoad, startObserver, startServiceChild } from './lib/targets.ts'

/** `bare`: aedes with one subscriber to stations/# (the issue's baseline); `bare-nosub`: aedes with none (its pass-through ceiling) */
export type Target = 'bare' | 'bare-nosub' | 'embedded' | 'influx'

export interface IngestRun {
  target: Target
  devices: number
  /** messages in flight per device */
  window: number
  /** devices that publish (the rest are connected and idle) */
  active: number
  /** mean PUBACK latency by Little's law (messages in flight / rate), ms */
  meanAckMs: number
  /** PUBACKs a second during the measured interval */
  rate: number
  /** share of one core used by the broker/service process, the load generator and the receivers */
  /** cores: the service (all threads, and its event loop alone), the generator, the receivers, influxd */
  cpu: { target: number; targetMainThread: number; load: number; observer: number; influxd?: number }
  /** CPU of the broker/service process per message, µs: less sensitive to other load than the rate */
  cpuPerMessageUs: number
  /** the same for the event loop's thread only */
  mainThreadPerMessageUs: number
  /** the whole machine's busy share during the measurement (2 = both cores), others included */
  machineBusy: number
  /** what the receivers got: /ws frames (10 clients together) or the subscriber's messages */
  received: { perSecond: number; mbPerSecond: number }
  accepted?: number
  rejected?: number
  /** InfluxDB writes during the run: how many, their mean size, the share with more than 1,000 points */
  influxBatches?: { count: number; meanPoints: number; shareOver1000: number }
  timeline: number[]
  loadAverage: number
}

/**
 * Messages in flight across all devices. A closed loop's rate is at most in-flight / PUBACK
 * latency, and the service acknowledges only after a group commit (a few hundred ms under full
 * load), so it needs many; bare aedes acknowledges at once but slows down with a deep queue in
 * front of its subscriber. Each target is measured at each of these and the best counts.
 */
export const IN_FLIGHT = { small: 10_000, large: 30_000 }

/**
 * `inFlight` is spread over the devices (at least 2 each); `window` instead sets it per device, on
 * the first `active` devices only (all connect), for the small windows real devices keep.
 */
export async function runIngest(ctx: BenchContext, target: Target, fleet: Fleet, o: { warmupMs: number; durationMs: number; inFlight: number; window?: number; active?: number; profileDir?: string }): Promise<IngestRun> {
  const devices = fleet.devices
  const window = o.window ?? Math.max(2, Math.ceil(o.inFlight / devices.length))
  const active = Math.min(o.active ?? devices.length, devices.length)
  const db = testDatabase()
  const influxd = target === 'influx' ? await ctx.influxd() : undefined
  const bareTarget = target === 'bare' || target === 'bare-nosub'
  const svc = bareTarget ? undefined : await startServiceChild({ stationsDir: fleet.stationsDir, ...(influxd ? { influxUrl: `${influxd.url}/${db}` } : {}), ...(o.profileDir ? { profileDir: o.profileDir } : {}) })
  const bare = bareTarget ? await startBareBroker(o.profileDir ? { profileDir: o.profileDir } : {}) : undefined
  const targetPid = (svc?.child ?? bare!.child).pid
  const port = svc?.mqttPort ?? bare!.mqttPort
  const observer = startObserver()
  const load = startLoad()
  try {
    if (svc) await observer.request('wsOpen', { httpPort: svc.httpPort, clients: 10, password: ADMIN_PASSWORD })
    else if (target === 'bare') await observer.request('subscribe', { port, topic: 'stations/#', qos: 0 })
    const conn = await load.request('connect', { host: '127.0.0.1', port, devices, keepalive: 60, will: false, status: false, concurrency: 100, timeoutMs: 15_000 })
    if (conn.failed) throw new Error(`${conn.failed} of ${devices.length} devices could not connect: ${conn.errors.join('; ')}`)
    const before = svc ? await metricsText(svc) : ''
    const running = load.request('closed', { window, active, warmupMs: o.warmupMs, durationMs: o.durationMs, drainMs: 30_000 }, o.warmupMs + o.durationMs + 60_000)
    await sleep(o.warmupMs)
    const s0 = [sampleProc(targetPid), sampleProc(load.pid), sampleProc(observer.pid)] as const
    const i0 = influxd?.pid ? sampleProc(influxd.pid) : undefined
    const m0 = machineTicks()
    await observer.request(svc ? 'wsCounts' : 'subCounts', { reset: true })
    const rx0 = performance.now()
    await sleep(o.durationMs)
    const s1 = [sampleProc(targetPid), sampleProc(load.pid), sampleProc(observer.pid)] as const
    const i1 = influxd?.pid ? sampleProc(influxd.pid) : undefined
    const m1 = machineTicks()
    const rx = await observer.request(svc ? 'wsCounts' : 'subCounts', { reset: true })
    const rxSeconds = (performance.now() - rx0) / 1000
    const res = await running
    const run: IngestRun = {
      target,
      devices: devices.length,
      window,
      active,
      meanAckMs: round(((window * active) / res.perSecond) * 1000, 2),
      rate: Math.round(res.perSecond),
      cpu: { target: round(cpuShare(s0[0], s1[0]), 2), targetMainThread: round(cpuShare(s0[0], s1[0], 'main'), 2), load: round(cpuShare(s0[1], s1[1]), 2), observer: round(cpuShare(s0[2], s1[2]), 2), ...(i0 && i1 ? { influxd: round(cpuShare(i0, i1), 2) } : {}) },
      cpuPerMessageUs: round((cpuShare(s0[0], s1[0]) * 1e6) / res.perSecond, 1),
      mainThreadPerMessageUs: round((cpuShare(s0[0], s1[0], 'main') * 1e6) / res.perSecond, 1),
      machineBusy: round(((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length, 2),
      received: { perSecond: Math.round(rx.messages / rxSeconds), mbPerSecond: round(rx.bytes / rxSeconds / 1e6, 1) },
      timeline: res.timeline,
      loadAverage: loadAverage(),
    }
    if (svc) {
      if (target === 'influx') {
        // Nothing may be left behind in the spool at the end.
        const end = Date.now() + 60_000
        while ((await svc.api('/api/health')).store.spooled > 0 && Date.now() < end) await sleep(100)
      }
      const after = await metricsText(svc)
      const acc = (t: string) => metric(t, /^stationwatch_messages_accepted_total\{topic="state"\} (\d+)/m)
      run.accepted = acc(after) - acc(before)
      if (target === 'influx') {
        // InfluxDB write batches during the run (issue 4: most should carry ≥ 1,000 points).
        const h = (t: string, re: RegExp) => metric(t, re) || 0 // absent until the first batch
        const count = h(after, /^stationwatch_store_batch_points_count\{store="influx"\} (\d+)/m) - h(before, /^stationwatch_store_batch_points_count\{store="influx"\} (\d+)/m)
        const sum = h(after, /^stationwatch_store_batch_points_sum\{store="influx"\} (\d+)/m) - h(before, /^stationwatch_store_batch_points_sum\{store="influx"\} (\d+)/m)
        const small = h(after, /^stationwatch_store_batch_points_bucket\{le="1000",store="influx"\} (\d+)/m) - h(before, /^stationwatch_store_batch_points_bucket\{le="1000",store="influx"\} (\d+)/m)
        run.influxBatches = { count, meanPoints: Math.round(sum / count), shareOver1000: round((count - small) / count, 3) }
      }
      run.rejected = [...after.matchAll(/^stationwatch_messages_rejected_total\{reason="[^"]+"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
    }
    return run
  } finally {
    await load.stop().catch(() => undefined)
    await observer.stop().catch(() => undefined)
    await svc?.stop()
    await bare?.stop()
    if (influxd) await influxd.query(`DROP DATABASE ${db}`).catch(() => undefined)
  }
}

const TARGETS: Target[] = ['bare', 'bare-nosub', 'embedded', 'influx']

export async function ingestThroughput(ctx: BenchContext): Promise<BenchResult> {
  const counts = ctx.quick ? [1000] : [100, 1000]
  const repeats = ctx.quick ? 1 : 2
  const warmupMs = ctx.quick ? 1200 : 3000
  const durationMs = ctx.quick ? 2500 : 8000
  /** quick: each target at the in-flight level that suits it; full: at both, the better counts */
  const levels = (t: Target) => (ctx.quick ? [t.startsWith('bare') ? IN_FLIGHT.small : IN_FLIGHT.large] : [IN_FLIGHT.small, IN_FLIGHT.large])
  const runs: IngestRun[] = []
  const figures: Figure[] = []
  for (const n of counts) {
    const fleet = makeFleet(n)
    try {
      const best: Record<Target, IngestRun[]> = { bare: [], 'bare-nosub': [], embedded: [], influx: [] }
      for (let r = 0; r < repeats; r++) {
        // Interleaved, so that whatever else loads the machine falls on every target alike.
        for (const target of TARGETS) {
          let top: IngestRun | undefined
          for (const inFlight of levels(target)) {
            const run = await runIngest(ctx, target, fleet, { warmupMs, durationMs, inFlight, ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}) })
            ctx.log(`  ${n} devices, ${target}, ${run.window}/device in flight: ${run.rate} msg/s; CPU ${run.cpu.targetMainThread} main thread (${run.mainThreadPerMessageUs} µs/msg), ${run.cpu.target} all threads, ${run.cpu.load} load, ${run.cpu.observer} receivers${run.cpu.influxd !== undefined ? `, ${run.cpu.influxd} influxd` : ''}; machine ${run.machineBusy}/2 busy`)
            runs.push(run)
            if (!top || run.rate > top.rate) top = run
          }
          best[target].push(top!)
        }
      }
      const rates = (t: Target) => best[t].map((x) => x.rate)
      const ratio = (a: Target, b: Target) => best[a].map((x, i) => x.rate / best[b][i]!.rate)
      const fig = (metric: string, values: number[], unit: string, extra: Partial<Figure> = {}, digits = 0): Figure => {
        const rg = range(values)
        return { metric, value: round(rg.median, digits), unit, ...(values.length > 1 ? { range: [round(rg.min, digits), round(rg.max, digits)] as [number, number] } : {}), ...extra }
      }
      const med = (v: number[]) => range(v).median
      figures.push(
        fig(`bare aedes + 1 subscriber, ${n} devices`, rates('bare'), 'msg/s'),
        fig(`bare aedes, no subscriber, ${n} devices`, rates('bare-nosub'), 'msg/s'),
        fig(`service, embedded store, ${n} devices, 10 /ws`, rates('embedded'), 'msg/s', { target: '≥ 30,000', met: med(rates('embedded')) >= 30_000 }),
        fig(`service, InfluxDB store, ${n} devices, 10 /ws`, rates('influx'), 'msg/s'),
        fig(`embedded / bare aedes + subscriber, ${n} devices`, ratio('embedded', 'bare'), 'ratio', { target: '≥ 0.5', met: med(ratio('embedded', 'bare')) >= 0.5 }, 2),
        fig(`embedded / bare aedes without subscriber, ${n} devices`, ratio('embedded', 'bare-nosub'), 'ratio', {}, 2),
        fig(`InfluxDB / embedded, ${n} devices`, ratio('influx', 'embedded'), 'ratio', { target: '≥ 0.8', met: med(ratio('influx', 'embedded')) >= 0.8 }, 2),
        fig(`InfluxDB write batch, mean points, ${n} devices`, best.influx.map((x) => x.influxBatches?.meanPoints ?? NaN), 'points'),
        fig(`main-thread CPU a message: embedded, ${n} devices`, best.embedded.map((x) => x.mainThreadPerMessageUs), 'µs', {}, 1),
        fig(`main-thread CPU a message: bare aedes + subscriber, ${n} devices`, best.bare.map((x) => x.mainThreadPerMessageUs), 'µs', {}, 1),
        fig(`main-thread CPU a message: bare aedes without subscriber, ${n} devices`, best['bare-nosub'].map((x) => x.mainThreadPerMessageUs), 'µs', {}, 1),
      )
    } finally {
      rmSync(fleet.stationsDir, { recursive: true, force: true })
    }
  }
  return {
    name: 'ingest',
    title: 'Ingest throughput (QoS 1, closed loop)',
    method:
      `Devices keep ${IN_FLIGHT.small.toLocaleString('en')} or ${IN_FLIGHT.large.toLocaleString('en')} QoS 1 messages in flight between them (${ctx.quick ? 'quick: 10,000 for bare aedes, 30,000 for the service' : 'each target at both; the better counts'}); every message changes something (a door, a key, an item, a count), so each one runs validation, the live state, the rules, an audit event, a point, the snapshot and a /ws push to 10 clients. ` +
      `Rate = PUBACKs a second over ${durationMs / 1000} s after ${warmupMs / 1000} s of warm-up; the service acknowledges a reading once it is committed (embedded) or written or spooled (InfluxDB). ` +
      `The broker or service, the load generator and the receivers (10 /ws clients, or one raw MQTT subscriber to stations/# at QoS 0) each run in a process of their own; targets run one after another, interleaved, ${repeats} time(s); ratios are taken within a repeat.`,
    figures,
    details: runs,
  }
}
