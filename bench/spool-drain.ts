/**
 * (5b) Recovery after an InfluxDB outage: readings flow (open loop, 1,000 devices) into the
 * service with INFLUX_URL; influxd is stopped for a while, during which the service spools what
 * it accepts to disk; then the load stops, influxd starts again, and the spool drains. Reported:
 * ingest during the outage, the points spooled, the drain rate, and whether every accepted point
 * is in InfluxDB afterwards.
 */
import { rmSync } from 'node:fs'
import { testDatabase } from '../test/helpers/influxd.ts'
import type { BenchContext, BenchResult } from './lib/context.ts'
import { makeFleet, POINTS_PER_MESSAGE, type DeviceKind } from './lib/fleet.ts'
import { round, sleep } from './lib/stats.ts'
import { startLoad, startServiceChild } from './lib/targets.ts'

export async function spoolDrain(ctx: BenchContext): Promise<BenchResult> {
  const influxd = await ctx.influxd()
  const rate = 5000
  const outageMs = ctx.quick ? 5000 : 20_000
  const db = testDatabase()
  const fleet = makeFleet(1000)
  const svc = await startServiceChild({ stationsDir: fleet.stationsDir, influxUrl: `${influxd.url}/${db}` })
  const load = startLoad()
  try {
    await load.request('connect', { host: '127.0.0.1', port: svc.mqttPort, devices: fleet.devices, keepalive: 60, will: false, status: false, concurrency: 100, timeoutMs: 15_000 })
    const acked: Record<DeviceKind, number> = { door: 0, keybox: 0, shelf: 0 }
    const add = (r: { ackedByKind: Record<DeviceKind, number> }) => {
      for (const k of Object.keys(acked) as DeviceKind[]) acked[k] += r.ackedByKind[k]
    }
    add(await load.request('open', { rate, durationMs: 1500, maxInflightPerDevice: 10_000, drainMs: 30_000 }))
    await influxd.stop()
    const outage = await load.request('open', { rate, durationMs: outageMs, maxInflightPerDevice: 10_000, drainMs: 60_000 }, outageMs + 120_000)
    add(outage)
    const health = await svc.api('/api/health')
    const spooled = health.store.spooled as number
    const t0 = performance.now()
    await influxd.restart()
    const restartSeconds = (performance.now() - t0) / 1000
    const t1 = performance.now()
    const end = Date.now() + 300_000
    let left = spooled
    // The store retries with backoff (up to 5 s) while InfluxDB is away: draining starts at its
    // next attempt. The rate is taken from the first point that leaves the spool.
    let started: { at: number; left: number } | undefined
    while (Date.now() < end) {
      left = (await svc.api('/api/health')).store.spooled as number
      if (!started && left < spooled) started = { at: performance.now(), left }
      if (left === 0) break
      await sleep(20)
    }
    const done = performance.now()
    const resumeSeconds = ((started?.at ?? done) - t1) / 1000
    const drainSeconds = (done - (started?.at ?? t1)) / 1000
    const drained = started ? started.left : spooled
    const expected = (Object.keys(acked) as DeviceKind[]).reduce((n, k) => n + acked[k] * POINTS_PER_MESSAGE[k], 0)
    const rows = await influxd.query(`SELECT count("device_ts") FROM "door"; SELECT count("device_ts") FROM "key"; SELECT count("device_ts") FROM "item"`, db)
    const stored = (rows.results as { series?: { values?: [unknown, number][] }[] }[]).reduce((n, r) => n + (r.series?.[0]?.values?.[0]?.[1] ?? 0), 0)
    ctx.log(`  outage ${outageMs / 1000} s at ${rate} msg/s offered: ${Math.round(outage.achievedPerSecond)} msg/s accepted (PUBACK p99 ${outage.pubackMs.p99} ms), ${spooled} points spooled; influxd back after ${round(restartSeconds, 1)} s, draining began ${round(resumeSeconds, 1)} s later and took ${round(drainSeconds, 1)} s (${Math.round(drained / drainSeconds)} points/s); ${stored} of ${expected} points in InfluxDB`)
    return {
      name: 'spool',
      title: 'Recovery: spool drain after an InfluxDB outage',
      method:
        `1,000 devices offer ${rate.toLocaleString('en')} QoS 1 messages a second to the service with INFLUX_URL; influxd (Debian's 1.x, on free loopback ports) is stopped (SIGTERM) for ${outageMs / 1000} s while they go on, then the load stops and influxd is started again on the same data. ` +
        `The drain rate is taken from the first point leaving the spool (polled every 20 ms in /api/health) until nothing is spooled; the wait before that (the store's retry backoff) is reported apart; then every accepted point is counted in InfluxDB.`,
      figures: [
        { metric: 'ingest during the outage (accepted)', value: Math.round(outage.achievedPerSecond), unit: 'msg/s' },
        { metric: 'PUBACK p99 during the outage', value: outage.pubackMs.p99, unit: 'ms' },
        { metric: 'points spooled', value: spooled, unit: 'points' },
        { metric: 'spool drain rate, once draining', value: Math.round(drained / drainSeconds), unit: 'points/s' },
        { metric: 'influxd back → draining begins (retry backoff)', value: round(resumeSeconds, 1), unit: 's' },
        { metric: 'accepted points in InfluxDB afterwards', value: stored, unit: `of ${expected}`, met: stored >= expected, target: 'all' },
      ],
      details: { rate, outageMs, spooled, restartSeconds, resumeSeconds, drainSeconds, drained, left, expected, stored, outage, acked },
    }
  } finally {
    await load.stop().catch(() => undefined)
    await svc.stop()
    await influxd.query(`DROP DATABASE ${db}`).catch(() => undefined)
    rmSync(fleet.stationsDir, { recursive: true, force: true })
  }
}
