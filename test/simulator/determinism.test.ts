import { afterEach, describe, expect, it } from 'vitest'
import { startSimulation } from '../../simulator/simulation.ts'
import { demoFleet } from './helpers/demo-fleet.ts'
import { json, startTestBroker, type Received, type TestBroker } from './helpers/test-broker.ts'

const brokers: TestBroker[] = []
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()))
})

/** normal-day's 24 h in about 2.5 s, with heartbeats every ~0.45 s so they interleave with the timeline. */
async function runNormalDay(seed: number): Promise<Received[]> {
  const broker = await startTestBroker()
  brokers.push(broker)
  const { station, secrets } = demoFleet({ heartbeatSeconds: 0.5 })
  const sim = startSimulation({ url: broker.url, stations: [station], secrets, scenario: 'normal-day', seed, speed: 36_000 })
  const summary = await sim.done
  await sim.stop()
  expect(summary.counters.publishTimeouts + summary.counters.skippedOffline + summary.counters.rejectedByBroker).toBe(0)
  return [...broker.received]
}

/** What a run published, without the device clock (`ts` is wall time, so it differs between runs). */
function sequence(received: Received[]): string[] {
  return received.map((r) => {
    const body = json(r) as Record<string, unknown>
    delete body.ts
    return `${r.topic} ${r.retain ? 'retained' : '-'} ${JSON.stringify(body)}`
  })
}

describe('seeded runs', () => {
  it('publish the same sequence for the same seed, and another for another seed', async () => {
    const first = await runNormalDay(7)
    const second = await runNormalDay(7)
    const other = await runNormalDay(8)

    expect(first.length).toBeGreaterThan(60)
    const heartbeats = first.filter((r) => r.topic.endsWith('/status')).length
    expect(heartbeats).toBeGreaterThan(7 * 2) // more than the status sent on connect
    expect(sequence(second)).toEqual(sequence(first))
    expect(sequence(other)).not.toEqual(sequence(first))
  }, 30_000)

  it('speak contract §3: QoS 1, retained status, non-retained state with integer ts and increasing seq', async () => {
    const received = await runNormalDay(3)
    const lastSeq = new Map<string, number>()
    const lastTs = new Map<string, number>()
    for (const r of received) {
      expect(r.qos).toBe(1)
      expect(r.topic).toMatch(new RegExp(`^stations/xinhua/devices/${r.from}/(state|status)$`))
      const body = json(r) as Record<string, unknown>
      if (r.topic.endsWith('/status')) {
        expect(r.retain).toBe(true)
        expect(body).toMatchObject({ online: true, tamper: false, fw: expect.any(String), rssi: expect.any(Number) })
        continue
      }
      expect(r.retain).toBe(false)
      expect(Number.isInteger(body.ts) && Number.isInteger(body.seq)).toBe(true)
      expect(body.seq).toBeGreaterThan(lastSeq.get(r.from) ?? -1)
      expect(body.ts).toBeGreaterThan(lastTs.get(r.from) ?? 0)
      lastSeq.set(r.from, body.seq as number)
      lastTs.set(r.from, body.ts as number)
    }
    expect(lastSeq.size).toBe(7) // every device announced its state
  }, 30_000)
})
