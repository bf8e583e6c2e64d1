/**
 * (4) Timer load, through the real service: 10,000 pending rule deadlines against 10, CPU a
 * second. Both services load the same 10,000-device fleet (heartbeatSeconds 86,400); in one every
 * device has reported (an online status and a calm state: door closed, keys in, shelf full), in the
 * other only 10 have, and all have disconnected cleanly. So the one holds 10,000 device-offline
 * deadlines 60 hours ahead, the other 10 (checked in /api/health), and nothing else differs. Their CPU
 * is read side by side over the same interval, at rest and then with a trickle of readings (200 a
 * second from 10 door sensors, each one scheduling or cancelling a door-open-too-long deadline).
 */
import { rmSync } from 'node:fs'
import type { BenchContext, BenchResult } from './lib/context.ts'
import type { DeviceSpec } from './lib/fleet.ts'
import { BIG_FLEET, bigFleet } from './lib/shared-fleet.ts'
import { round, sleep } from './lib/stats.ts'
import { startLoad, startServiceChild, type ServiceChild } from './lib/targets.ts'

/** Devices connect, report (an online status, and a calm state unless `calm` is false) and disconnect cleanly. */
async function report(svc: ServiceChild, devices: DeviceSpec[], calm = true): Promise<void> {
  const load = startLoad()
  try {
    const c = await load.request('connect', { host: '127.0.0.1', port: svc.mqttPort, devices, keepalive: 60, will: false, status: true, concurrency: 200, timeoutMs: 30_000 }, 180_000)
    if (c.failed) throw new Error(`${c.failed} devices could not connect`)
    if (calm) await load.request('calm', { timeoutMs: 30_000, concurrency: 200 }, 180_000)
  } finally {
    await load.stop()
  }
}

async function cpuSideBySide(a: ServiceChild, b: ServiceChild, ms: number): Promise<[number, number]> {
  const [a0, b0] = await Promise.all([a.child.request<number>('cpu'), b.child.request<number>('cpu')])
  const t0 = performance.now()
  await sleep(ms)
  const [a1, b1] = await Promise.all([a.child.request<number>('cpu'), b.child.request<number>('cpu')])
  const s = (performance.now() - t0) / 1000
  return [(a1 - a0) / 1000 / s, (b1 - b0) / 1000 / s]
}

export async function timerLoad(ctx: BenchContext): Promise<BenchResult> {
  const fleet = bigFleet(ctx)
  const restMs = ctx.quick ? 4000 : 30_000
  const trickleMs = ctx.quick ? 3000 : 15_000
  // The idle service the connection benchmark left behind has 10,000 deadlines already.
  let many = ctx.stash.get('idle10k') as ServiceChild | undefined
  ctx.stash.delete('idle10k')
  // Quick mode: online statuses only (what the connection benchmark left); full: a calm state too.
  const calm = !ctx.quick
  if (!many) {
    many = await startServiceChild({ stationsDir: fleet.stationsDir })
    await report(many, fleet.devices, calm)
  } else if (calm) {
    await report(many, fleet.devices, calm)
  }
  const few = await startServiceChild({ stationsDir: fleet.stationsDir })
  const doors = fleet.devices.filter((d) => d.kind === 'door').slice(0, 10)
  try {
    await report(few, doors, calm)
    // Both settle first (a fresh process still compiles and collects for a while).
    await sleep(ctx.quick ? 2000 : 10_000)
    await Promise.all([many.child.request('gc'), few.child.request('gc')])
    await sleep(1000)
    const pending = async (s: ServiceChild) => ((await s.api('/api/health')).alerts?.pendingDeadlines ?? NaN) as number
    const [nMany, nFew] = [await pending(many), await pending(few)]
    const [restMany, restFew] = await cpuSideBySide(many, few, restMs)
    // A trickle of readings through 10 door sensors in each, at the same rate.
    const loads = [startLoad(), startLoad()]
    let trickle: [number, number]
    try {
      await Promise.all([many, few].map((s, i) => loads[i]!.request('connect', { host: '127.0.0.1', port: s.mqttPort, devices: doors, keepalive: 60, will: false, status: false, concurrency: 10, timeoutMs: 15_000 })))
      const runs = loads.map((l) => l.request('open', { rate: 200, durationMs: trickleMs + 1000, maxInflightPerDevice: 1000, drainMs: 10_000 }, trickleMs + 60_000))
      await sleep(500)
      trickle = await cpuSideBySide(many, few, trickleMs)
      await Promise.all(runs)
    } finally {
      await Promise.all(loads.map((l) => l.stop().catch(() => undefined)))
    }
    const ratioRest = restMany / restFew
    const ratioTrickle = trickle[0] / trickle[1]
    ctx.log(`  pending deadlines ${nMany} vs ${nFew}: at rest ${round(restMany, 2)} vs ${round(restFew, 2)} ms CPU/s (×${round(ratioRest, 2)}); with 200 readings/s ${round(trickle[0], 1)} vs ${round(trickle[1], 1)} ms CPU/s (×${round(ratioTrickle, 2)})`)
    return {
      name: 'timers',
      title: 'Timer load: 10,000 pending deadlines vs 10',
      method:
        `Through the real service (not a harness): two service processes on the same ${BIG_FLEET.toLocaleString('en')}-device fleet with heartbeatSeconds 86,400, one with every device heard from, one with 10; no connections. CPU is each process's cpuUsage, read side by side: ${restMs / 1000} s at rest, then ${trickleMs / 1000} s while each gets 200 door readings a second.`,
      figures: [
        { metric: 'pending deadlines (many / few)', value: nMany, unit: `vs ${nFew}` },
        { metric: 'CPU at rest, 10,000 deadlines', value: round(restMany, 2), unit: 'ms/s' },
        { metric: 'CPU at rest, 10 deadlines', value: round(restFew, 2), unit: 'ms/s' },
        { metric: 'CPU at rest, 10,000 / 10 deadlines', value: round(ratioRest, 2), unit: 'ratio', target: '< 2', met: ratioRest < 2 },
        { metric: 'CPU with 200 readings/s, 10,000 deadlines', value: round(trickle[0], 1), unit: 'ms/s' },
        { metric: 'CPU with 200 readings/s, 10 deadlines', value: round(trickle[1], 1), unit: 'ms/s' },
        { metric: 'CPU with 200 readings/s, 10,000 / 10 deadlines', value: round(ratioTrickle, 2), unit: 'ratio', target: '< 2', met: ratioTrickle < 2 },
      ],
      details: { pending: { many: nMany, few: nFew }, restCpuMsPerSecond: { many: restMany, few: restFew }, trickleCpuMsPerSecond: { many: trickle[0], few: trickle[1] } },
    }
  } finally {
    await few.stop()
    // Its data (10,000 devices' state) is what the start-up benchmark restarts on.
    await many.stop({ keepData: true })
    const dir = many.dataDir
    ctx.stash.set('state10k', dir)
    ctx.onExit(() => rmSync(dir, { recursive: true, force: true }))
  }
}
