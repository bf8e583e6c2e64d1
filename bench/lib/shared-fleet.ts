/** The 10,000-device fleet the connection, timer and start-up benchmarks share (long thresholds). */
import { rmSync } from 'node:fs'
import type { BenchContext } from './context.ts'
import { makeFleet, type Fleet } from './fleet.ts'

export const BIG_FLEET = 10_000

/**
 * heartbeatSeconds 86,400: a device heard once has a device-offline deadline 60 hours ahead, so
 * nothing fires during a benchmark, and idle devices need not send heartbeats.
 */
export function bigFleet(ctx: BenchContext): Fleet {
  let fleet = ctx.stash.get('fleet10k') as Fleet | undefined
  if (!fleet) {
    fleet = makeFleet(BIG_FLEET, { rules: { heartbeatSeconds: 86_400 } })
    ctx.stash.set('fleet10k', fleet)
    const dir = fleet.stationsDir
    ctx.onExit(() => rmSync(dir, { recursive: true, force: true }))
  }
  return fleet
}
