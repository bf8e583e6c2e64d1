/**
 * (2) Latency under load: a background of QoS 1 state messages offered at 1,000 and 10,000
 * msg/s (open loop, 1,000 devices), and meanwhile a probe device that opens and closes the main
 * door of its own station (every key in the box: a door-forced alert each time it opens; the
 * alert is resolved over HTTP before the next). Measured on each of 10 /ws clients: publish →
 * `station` message showing the door's new state, and publish → `alert` (door-forced) message.
 */
import { rmSync } from 'node:fs'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { makeFleet } from './lib/fleet.ts'
import { cpuShare, loadAverage, sampleProc, schedShares, schedStat } from './lib/proc.ts'
import { range, round, sleep } from './lib/stats.ts'
import { ADMIN_PASSWORD, startLoad, startObserver, startServiceChild } from './lib/targets.ts'

interface LatencyRun {
  offered: number
  achieved: number
  /** PUBACK latency of the background load, ms */
  puback: { p50: number; p99: number; max: number }
  station: { n: number; p50: number; p99: number; max: number }
  alert: { n: number; p50: number; p99: number; max: number }
  cycles: number
  timeouts: number
  serviceCpu: number
  serviceMainThreadCpu: number
  /** the event loop's thread: share of the time it ran, and share it was runnable but had no CPU */
  mainThreadScheduler: { running: number; waiting: number }
  generatorCpu: number
  /** the probe and the 10 /ws clients */
  receiversCpu: number
  /** /ws frames the 10 clients received together, and their size */
  wsFramesPerSecond: number
  wsMbPerSecond: number
  /** the service's event-loop delay during the probe (perf_hooks, 5 ms resolution) */
  eventLoopDelayMs: { p50: number; p99: number; max: number }
  loadAverage: number
}

export async function latency(ctx: BenchContext): Promise<BenchResult> {
  const rates = [1000, 10_000]
  const repeats = ctx.quick ? 1 : 2
  const durationMs = ctx.quick ? 5000 : 20_000
  const fleet = makeFleet(1000, { probe: true })
  const runs: LatencyRun[] = []
  try {
    for (let r = 0; r < repeats; r++) {
      for (const rate of rates) {
        const svc = await startServiceChild({ stationsDir: fleet.stationsDir, ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}) })
        const observer = startObserver()
        const load = startLoad()
        try {
          await observer.request('wsOpen', { httpPort: svc.httpPort, clients: 10, password: ADMIN_PASSWORD })
          await load.request('connect', { host: '127.0.0.1', port: svc.mqttPort, devices: fleet.devices, keepalive: 60, will: false, status: false, concurrency: 100, timeoutMs: 15_000 })
          // Warm-up at the rate (the first door-forced alert of every door is raised here, not during the probe).
          await load.request('open', { rate, durationMs: ctx.quick ? 1500 : 3000, maxInflightPerDevice: 1000, drainMs: 10_000 })
          const s0 = sampleProc(svc.child.pid)
          const q0 = schedStat(svc.child.pid)
          const o0 = sampleProc(observer.pid)
          const l0 = sampleProc(load.pid)
          await svc.child.request('eld', { start: true })
          await observer.request('wsCounts', { reset: true })
          const rx0 = performance.now()
          const background = load.request('open', { rate, durationMs: durationMs + 1000, maxInflightPerDevice: 1000, drainMs: 10_000 }, durationMs + 60_000)
          await sleep(500)
          const probe = await observer.request('probe', { port: svc.mqttPort, door: fleet.probe!.door, durationMs, intervalMs: 50, timeoutMs: 5000 }, durationMs + 60_000)
          const bg = await background
          const s1 = sampleProc(svc.child.pid)
          const q1 = schedStat(svc.child.pid)
          const o1 = sampleProc(observer.pid)
          const l1 = sampleProc(load.pid)
          const rx = await observer.request('wsCounts', { reset: true })
          const rxSeconds = (performance.now() - rx0) / 1000
          const loopDelay = await svc.child.request('eld', {})
          const run: LatencyRun = {
            offered: rate,
            achieved: Math.round(bg.achievedPerSecond),
            puback: { p50: bg.pubackMs.p50, p99: bg.pubackMs.p99, max: bg.pubackMs.max },
            station: probe.station,
            alert: probe.alert,
            cycles: probe.cycles,
            timeouts: probe.timeouts,
            serviceCpu: round(cpuShare(s0, s1), 2),
            serviceMainThreadCpu: round(cpuShare(s0, s1, 'main'), 2),
            mainThreadScheduler: schedShares(q0, q1),
            generatorCpu: round(cpuShare(l0, l1), 2),
            receiversCpu: round(cpuShare(o0, o1), 2),
            wsFramesPerSecond: Math.round(rx.messages / rxSeconds),
            wsMbPerSecond: round(rx.bytes / rxSeconds / 1e6, 1),
            eventLoopDelayMs: { p50: round(loopDelay.p50, 1), p99: round(loopDelay.p99, 1), max: round(loopDelay.max, 1) },
            loadAverage: loadAverage(),
          }
          ctx.log(`  ${rate} msg/s offered (${run.achieved} sent): /ws station p50 ${run.station.p50} p99 ${run.station.p99} max ${run.station.max} ms; alert p50 ${run.alert.p50} p99 ${run.alert.p99} max ${run.alert.max} ms (${run.alert.n} samples); loop delay p99 ${run.eventLoopDelayMs.p99} max ${run.eventLoopDelayMs.max} ms, cpu ${run.serviceMainThreadCpu}/${run.serviceCpu} service (main thread waited for a CPU ${Math.round(run.mainThreadScheduler.waiting * 100)}% of the time), ${run.generatorCpu} load, ${run.receiversCpu} receivers; ${run.wsFramesPerSecond} frames/s, ${run.wsMbPerSecond} MB/s`)
          runs.push(run)
        } finally {
          await load.stop().catch(() => undefined)
          await observer.stop().catch(() => undefined)
          await svc.stop()
        }
      }
    }
  } finally {
    rmSync(fleet.stationsDir, { recursive: true, force: true })
  }
  const figures: Figure[] = []
  for (const rate of rates) {
    const rs = runs.filter((r) => r.offered === rate)
    const fig = (metric: string, vals: number[], extra: Partial<Figure> = {}, digits = 1): Figure => {
      const rg = range(vals)
      return { metric, value: round(rg.median, digits), unit: 'ms', ...(vals.length > 1 ? { range: [round(rg.min, digits), round(rg.max, digits)] as [number, number] } : {}), ...extra }
    }
    const limit = rate === 1000 ? 20 : 50
    const p99 = range(rs.map((r) => r.alert.p99)).median
    const k = rate === 1000 ? '1k' : '10k'
    figures.push(
      fig(`publish → /ws station, p50 @ ${k} msg/s`, rs.map((r) => r.station.p50)),
      fig(`publish → /ws station, p99 @ ${k} msg/s`, rs.map((r) => r.station.p99)),
      fig(`publish → /ws station, max @ ${k} msg/s`, rs.map((r) => r.station.max)),
      fig(`publish → /ws alert, p50 @ ${k} msg/s`, rs.map((r) => r.alert.p50)),
      fig(`publish → /ws alert, p99 @ ${k} msg/s`, rs.map((r) => r.alert.p99), { target: `≤ ${limit}`, met: p99 <= limit }),
      fig(`publish → /ws alert, max @ ${k} msg/s`, rs.map((r) => r.alert.max)),
      fig(`service event loop, CPU share @ ${k} msg/s`, rs.map((r) => r.mainThreadScheduler.running), { unit: 'core' }, 2),
      fig(`service event loop, runnable but no CPU @ ${k} msg/s`, rs.map((r) => r.mainThreadScheduler.waiting), { unit: 'of the time' }, 2),
    )
  }
  return {
    name: 'latency',
    title: 'Latency: publish → /ws (10 clients)',
    method:
      `Background: 1,000 devices offered 1,000 or 10,000 QoS 1 state messages a second in total (open loop, from a load-generator process). Probe: a device of its own station opens and closes a door every 50 ms or so (opening = door-forced alert, resolved over HTTP before the next); ` +
      `the probe and the 10 /ws clients share one process and one clock, and each client's arrival is one sample. ${durationMs / 1000} s per rate after ${ctx.quick ? 1.5 : 3} s of warm-up, a fresh service per rate, ${repeats} repeat(s); figures are the median of the repeats.`,
    figures,
    details: runs,
  }
}
