/**
 * (3) Connection scale: 10,000 idle devices (keepalive 60, authenticated, each with a retained
 * `{"online":false}` will and a retained online status) on one service: connect rate, resident
 * memory per device above the idle service, and CPU at rest (the devices only ping, once a
 * keepalive period). The same connections to a bare aedes broker in the same run, for comparison.
 */
import type { Child } from './lib/child.ts'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { loadAverage, sampleProc } from './lib/proc.ts'
import { BIG_FLEET, bigFleet } from './lib/shared-fleet.ts'
import { range, round, sleep } from './lib/stats.ts'
import { startBareBroker, startLoad, startServiceChild } from './lib/targets.ts'

interface ScaleRun {
  target: 'service' | 'bare'
  devices: number
  connectsPerSecond: number
  connectSeconds: number
  /** CONNECT → CONNACK, ms */
  connack: { p50: number; p99: number; max: number }
  /** all retained statuses published and acknowledged, s */
  statusSeconds: number
  idleRssMb: number
  connectedRssMb: number
  rssPerDeviceKb: number
  heapPerDeviceKb: number
  /** CPU at rest with every device connected: ms of CPU a second */
  restCpuMsPerSecond: number
  loadAverage: number
}

/** RSS after a full GC, the median of three samples a few hundred ms apart. */
async function settledRss(child: Child): Promise<{ rssKb: number; heapUsed: number }> {
  await child.request('gc')
  await sleep(300)
  const rss: number[] = []
  for (let i = 0; i < 3; i++) {
    rss.push(sampleProc(child.pid).rssKb)
    await sleep(200)
  }
  const heap = await child.request<NodeJS.MemoryUsage>('heap')
  return { rssKb: range(rss).median, heapUsed: heap.heapUsed }
}

async function measure(ctx: BenchContext, target: 'service' | 'bare', restMs: number, keep: boolean): Promise<ScaleRun> {
  const fleet = bigFleet(ctx)
  const svc = target === 'service' ? await startServiceChild({ stationsDir: fleet.stationsDir }) : undefined
  const bare = target === 'bare' ? await startBareBroker() : undefined
  const child = svc?.child ?? bare!.child
  const port = svc?.mqttPort ?? bare!.mqttPort
  const load = startLoad()
  try {
    await sleep(1000)
    const idle = await settledRss(child)
    const conn = await load.request('connect', { host: '127.0.0.1', port, devices: fleet.devices, keepalive: 60, will: true, status: true, concurrency: 200, timeoutMs: 30_000 }, 180_000)
    if (conn.failed) throw new Error(`${conn.failed} devices could not connect: ${conn.errors.join('; ')}`)
    await sleep(2000)
    const connected = await settledRss(child)
    // At rest: nothing but keepalive pings (167 a second) and the service's own timers.
    const c0 = await child.request<number>('cpu')
    const t0 = performance.now()
    await sleep(restMs)
    const c1 = await child.request<number>('cpu')
    const restCpuMsPerSecond = (c1 - c0) / 1000 / ((performance.now() - t0) / 1000)
    const n = conn.connected as number
    return {
      target,
      devices: n,
      connectsPerSecond: Math.round(conn.connectsPerSecond),
      connectSeconds: round(conn.connectSeconds, 2),
      connack: conn.connackMs,
      statusSeconds: round(conn.statusSeconds, 2),
      idleRssMb: round(idle.rssKb / 1024, 1),
      connectedRssMb: round(connected.rssKb / 1024, 1),
      rssPerDeviceKb: round((connected.rssKb - idle.rssKb) / n, 1),
      heapPerDeviceKb: round((connected.heapUsed - idle.heapUsed) / 1024 / n, 1),
      restCpuMsPerSecond: round(restCpuMsPerSecond, 1),
      loadAverage: loadAverage(),
    }
  } finally {
    // Clean DISCONNECTs (no wills): the service keeps each device's online status and its
    // device-offline deadline, which the timer benchmark can use.
    await load.stop().catch(() => undefined)
    if (svc && keep && !ctx.stash.has('idle10k')) ctx.stash.set('idle10k', svc)
    else await svc?.stop()
    await bare?.stop()
  }
}

export async function connectionScale(ctx: BenchContext): Promise<BenchResult> {
  const repeats = ctx.quick ? 1 : 2
  const restMs = ctx.quick ? 3000 : 15_000
  // Quick mode measures the service only; bare aedes (~13 KB a device here) in the full run.
  const targets = ctx.quick ? (['service'] as const) : (['service', 'bare'] as const)
  const runs: ScaleRun[] = []
  for (let r = 0; r < repeats; r++) {
    for (const target of targets) {
      const run = await measure(ctx, target, restMs, r === repeats - 1)
      ctx.log(`  ${target}: ${run.devices} devices at ${run.connectsPerSecond}/s; RSS ${run.idleRssMb} → ${run.connectedRssMb} MB = ${run.rssPerDeviceKb} KB a device; at rest ${run.restCpuMsPerSecond} ms CPU/s`)
      runs.push(run)
    }
  }
  const of = (t: 'service' | 'bare', f: (r: ScaleRun) => number) => runs.filter((r) => r.target === t).map(f)
  const fig = (metric: string, vals: number[], unit: string, extra: Partial<Figure> = {}, digits = 1): Figure => {
    const rg = range(vals)
    return { metric, value: round(rg.median, digits), unit, ...(vals.length > 1 ? { range: [round(rg.min, digits), round(rg.max, digits)] as [number, number] } : {}), ...extra }
  }
  const perDevice = range(of('service', (r) => r.rssPerDeviceKb)).median
  return {
    name: 'connections',
    title: `Connection scale: ${BIG_FLEET.toLocaleString('en')} idle devices`,
    method:
      `${BIG_FLEET.toLocaleString('en')} devices on ${BIG_FLEET / 4} stations connect (200 CONNECTs in flight, keepalive 60, a retained {"online":false} will), publish a retained online status (QoS 1) and stay connected, pinging once a keepalive period; from a load-generator process. ` +
      `RSS is read from /proc after a full GC, before and after connecting; CPU at rest is the service's own cpuUsage over ${restMs / 1000} s. ${targets.length > 1 ? 'Bare aedes (no hooks) gets the same connections in the same run. ' : 'Quick mode: the service only. '}${repeats} repeat(s).`,
    figures: [
      fig('service: connect rate (CONNACKs)', of('service', (r) => r.connectsPerSecond), 'conn/s', {}, 0),
      fig('service: RSS per connected device', of('service', (r) => r.rssPerDeviceKb), 'KB', { target: '≤ 25', met: perDevice <= 25 }),
      fig('service: JS heap per connected device', of('service', (r) => r.heapPerDeviceKb), 'KB'),
      fig('service: CPU at rest, 10,000 connected', of('service', (r) => r.restCpuMsPerSecond), 'ms/s'),
      ...(targets.length > 1
        ? [
            fig('bare aedes: connect rate', of('bare', (r) => r.connectsPerSecond), 'conn/s', {}, 0),
            fig('bare aedes: RSS per connected device', of('bare', (r) => r.rssPerDeviceKb), 'KB'),
            fig('bare aedes: CPU at rest, 10,000 connected', of('bare', (r) => r.restCpuMsPerSecond), 'ms/s'),
          ]
        : []),
    ],
    details: runs,
  }
}
