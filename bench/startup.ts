/**
 * (5a) Start-up: time from spawning the real entry point (`node --import tsx src/main.ts`) to its
 * `listening` log line, with 10,000 devices' stored state (live snapshots of 2,500 stations,
 * their events and points) against the same 2,500 station files and an empty data directory.
 * Each start is a fresh process; it is stopped with SIGTERM once listening.
 */
import { cpSync, rmSync } from 'node:fs'
import { spawnService, waitListening } from '../test/helpers/process.ts'
import { tempDir } from '../test/helpers/station-fixture.ts'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { BIG_FLEET, bigFleet } from './lib/shared-fleet.ts'
import { range, round } from './lib/stats.ts'
import { ADMIN_PASSWORD, startLoad, startServiceChild } from './lib/targets.ts'

async function timeToListening(env: Record<string, string>): Promise<number> {
  const t0 = performance.now()
  const p = spawnService(env)
  try {
    await waitListening(p, 120_000)
    const ms = performance.now() - t0
    p.child.kill('SIGTERM')
    await p.exited
    return ms
  } finally {
    p.kill()
  }
}

/** A data dir with 10,000 devices' state: left by the timer benchmark, or made here. */
async function storedState(ctx: BenchContext): Promise<string> {
  const left = ctx.stash.get('state10k') as string | undefined
  if (left) return left
  const fleet = bigFleet(ctx)
  const svc = await startServiceChild({ stationsDir: fleet.stationsDir })
  const load = startLoad()
  try {
    await load.request('connect', { host: '127.0.0.1', port: svc.mqttPort, devices: fleet.devices, keepalive: 60, will: false, status: true, concurrency: 200, timeoutMs: 30_000 }, 180_000)
    await load.request('calm', { timeoutMs: 30_000, concurrency: 200 }, 180_000)
  } finally {
    await load.stop()
    await svc.stop({ keepData: true })
  }
  ctx.onExit(() => rmSync(svc.dataDir, { recursive: true, force: true }))
  return svc.dataDir
}

export async function startup(ctx: BenchContext): Promise<BenchResult> {
  const fleet = bigFleet(ctx)
  const repeats = ctx.quick ? 1 : 3
  const state = await storedState(ctx)
  const env = (dataDir: string) => ({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: dataDir, STATIONS: fleet.stationsDir, ADMIN_PASSWORD, LOG_LEVEL: 'info' })
  const withState: number[] = []
  const empty: number[] = []
  for (let r = 0; r < repeats; r++) {
    // A copy each time, so every start restores the same state (a start writes to its data dir).
    const copy = tempDir('sw-bench-state-')
    cpSync(state, copy, { recursive: true })
    const fresh = tempDir('sw-bench-empty-')
    try {
      withState.push(await timeToListening(env(copy)))
      empty.push(await timeToListening(env(fresh)))
    } finally {
      rmSync(copy, { recursive: true, force: true })
      rmSync(fresh, { recursive: true, force: true })
    }
  }
  ctx.log(`  to listening: ${withState.map((x) => Math.round(x)).join(', ')} ms with ${BIG_FLEET.toLocaleString('en')} devices' state; ${empty.map((x) => Math.round(x)).join(', ')} ms without`)
  const fig = (metric: string, vals: number[]): Figure => {
    const rg = range(vals)
    return { metric, value: Math.round(rg.median), unit: 'ms', ...(vals.length > 1 ? { range: [Math.round(rg.min), Math.round(rg.max)] as [number, number] } : {}) }
  }
  return {
    name: 'startup',
    title: 'Start-up',
    method: `Spawn of \`node --import tsx src/main.ts\` until its \`listening\` line, ${BIG_FLEET.toLocaleString('en')} devices on ${BIG_FLEET / 4} station files, with a copy of a data dir holding every device's state (as left by the timer benchmark) and with an empty one; ${repeats} start(s) each. Includes Node and tsx start-up.`,
    figures: [fig(`to listening, ${BIG_FLEET.toLocaleString('en')} devices' stored state`, withState), fig(`to listening, same stations, no stored state`, empty)],
    details: { withStateMs: withState.map((x) => round(x)), emptyMs: empty.map((x) => round(x)) },
  }
}
