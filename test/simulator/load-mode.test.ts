import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { scaledRules } from '../../simulator/scenario.ts'
import { startSimulation } from '../../simulator/simulation.ts'
import { prepareSyntheticStations } from '../../simulator/synthetic-stations.ts'
import { demoFleet } from './helpers/demo-fleet.ts'
import { startTestBroker, type TestBroker } from './helpers/test-broker.ts'
import { eventually } from '../helpers/wait.ts'

let broker: TestBroker | undefined
let dir: string | undefined
afterEach(async () => {
  await broker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function fleetOf(count: number, speed: number) {
  dir = mkdtempSync(join(tmpdir(), 'sim-load-'))
  const { station: template } = demoFleet()
  return prepareSyntheticStations({ dir: join(dir, 'stations'), secretsFile: join(dir, 'secrets.txt'), count, template, rules: scaledRules(speed) })
}

const stillConnected = (b: TestBroker): number => [...b.connects.values()].reduce((n, c) => n + c, 0) - [...b.disconnects.values()].reduce((n, c) => n + c, 0)

// The full 10,000-device check runs against the real service by hand (see the simulator's report);
// here a few thousand devices keep the suite fast while exercising the same paths.
describe('load mode', () => {
  it('drives 300 generated stations (2,100 devices), one connection each, and leaves cleanly', async () => {
    const speed = 36_000
    const { stations, secrets } = fleetOf(300, speed)
    broker = await startTestBroker({ secrets })
    const sim = startSimulation({ url: broker.url, stations, secrets, scenario: 'normal-day', seed: 4, speed, connectConcurrency: 100, timeLimitSeconds: 60 })
    await sim.ready
    expect(sim.counters.connected).toBe(2100)
    const summary = await sim.done
    expect(summary.stoppedEarly).toBeUndefined()
    expect(summary.counters).toMatchObject({ connects: 2100, connectRefused: 0, connectFailed: 0, publishTimeouts: 0, skippedOffline: 0 })
    expect(summary.counters.stateSent).toBeGreaterThan(300 * 20)
    await sim.stop()
    await eventually(() => stillConnected(broker!) === 0, 5000, 'every device to disconnect')
    expect(broker.received.filter((r) => r.will)).toEqual([])
    expect(new Set(broker.connects.keys()).size).toBe(2100)
  }, 60_000)

  it('stopped in the middle of a reconnect storm, leaves no connection behind', async () => {
    const { stations, secrets } = fleetOf(200, 36_000)
    broker = await startTestBroker({ secrets })
    // Few connect slots: initial connects and the storm's reconnects queue up behind each other.
    const sim = startSimulation({ url: broker.url, stations, secrets, scenario: 'reconnect-storm', seed: 4, speed: 36_000, connectConcurrency: 5 })
    await eventually(() => [...broker!.connects.values()].some((n) => n === 2), 5000, 'the first device to reconnect')
    await sim.stop()
    expect((await sim.done).stoppedEarly).toBe('stopped')
    await new Promise((r) => setTimeout(r, 500)) // a connect that was waiting for a slot must not come back to life
    await eventually(() => stillConnected(broker!) === 0, 5000, 'every device to disconnect')
    expect(sim.counters.connected).toBe(0)
  }, 30_000)
})
