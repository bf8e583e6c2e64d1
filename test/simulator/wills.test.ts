import { afterEach, describe, expect, it } from 'vitest'
import { startSimulation } from '../../simulator/simulation.ts'
import { demoFleet } from './helpers/demo-fleet.ts'
import { json, startTestBroker, type TestBroker } from './helpers/test-broker.ts'
import { eventually } from '../helpers/wait.ts'

let broker: TestBroker | undefined
afterEach(async () => broker?.close())

const wills = (b: TestBroker) => b.received.filter((r) => r.will)

describe('devices that drop without DISCONNECT', () => {
  it('device-failure: the broker publishes the failed device’s will, retained, and no one else’s', async () => {
    const { station, secrets } = demoFleet({ equipmentMissingSeconds: 0.2 })
    broker = await startTestBroker({ secrets })
    const sim = startSimulation({ url: broker.url, stations: [station], secrets, scenario: 'device-failure', seed: 5, speed: 3600 })
    const victim = sim.expectedAlerts[0]!.subject.replace('device:', '')
    expect(station.devices.find((d) => d.id === victim)?.type).toBe('equipment')
    const summary = await sim.done
    expect(wills(broker)).toHaveLength(1)
    const [will] = wills(broker)
    expect(will).toMatchObject({ from: victim, topic: `stations/xinhua/devices/${victim}/status`, retain: true, qos: 1 })
    expect(json(will!)).toEqual({ online: false })
    expect(summary.counters.connected).toBe(station.devices.length - 1)

    // The others leave cleanly when the run stops: DISCONNECT, so still no other will.
    await sim.stop()
    const others = station.devices.filter((d) => d.id !== victim)
    await eventually(() => others.every((d) => broker!.disconnects.get(d.id) === 1), 5000, 'the broker to see every other device leave')
    expect(wills(broker)).toHaveLength(1)
  }, 30_000)

  it('reconnect-storm: every device drops at once, every will goes out, every device comes back and reports', async () => {
    const { station, secrets } = demoFleet()
    broker = await startTestBroker({ secrets })
    const sim = startSimulation({ url: broker.url, stations: [station], secrets, scenario: 'reconnect-storm', seed: 2, speed: 3600 })
    const summary = await sim.done
    await sim.stop()
    const ids = station.devices.map((d) => d.id).sort()
    expect(wills(broker).map((w) => w.from).sort()).toEqual(ids)
    for (const id of ids) {
      expect(broker.connects.get(id)).toBe(2)
      const mine = broker.received.filter((r) => r.from === id)
      const willAt = mine.findIndex((r) => r.will)
      // After the will: a fresh online status, then the whole reading.
      expect(json(mine[willAt + 1]!)).toMatchObject({ online: true })
      expect(mine[willAt + 2]!.topic).toBe(`stations/xinhua/devices/${id}/state`)
    }
    expect(summary.expectedAlerts.map((a) => a.subject).sort()).toEqual(ids.map((id) => `device:${id}`))
    expect(summary.counters.unplannedDisconnects).toBe(0)
  }, 30_000)
})
