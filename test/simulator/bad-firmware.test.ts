import { afterEach, describe, expect, it } from 'vitest'
import { MALFORMED_KINDS, type MalformedKind } from '../../simulator/malformed.ts'
import { startSimulation } from '../../simulator/simulation.ts'
import type { Station } from '../../simulator/station.ts'
import { demoFleet } from './helpers/demo-fleet.ts'
import { json, startTestBroker, type Received, type TestBroker } from './helpers/test-broker.ts'

let broker: TestBroker | undefined
afterEach(async () => broker?.close())

/**
 * Judges each state message by contract §3 alone (not by the simulator's code):
 * what is wrong with it, or 'ok'. `seen` carries each device's accepted (seq, ts).
 */
function judge(r: Received, station: Station, seen: Map<string, { pairs: Set<string>; maxTs: number }>): MalformedKind | 'ok' {
  const device = station.devices.find((d) => d.id === r.from)!
  if (r.payload.byteLength > 4096) return 'too-large'
  const body = json(r)
  if (body === undefined) return 'not-json'
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not-an-object'
  const m = body as Record<string, unknown>
  if (!('ts' in m)) return 'missing-ts'
  if (!('seq' in m)) return 'missing-seq'
  if (!Number.isInteger(m.ts)) return 'ts-not-a-number'
  if (!Number.isInteger(m.seq)) return 'seq-not-a-number'
  if (device.type === 'door' && typeof m.open !== 'boolean') return 'reading-wrong-type'
  if (device.type === 'keybox' && Object.keys(m.slots as object).some((slot) => !(slot in device.slots))) return 'unknown-slot'
  if (device.type === 'equipment') {
    for (const [id, v] of Object.entries(m.items as Record<string, unknown>)) {
      const item = station.equipment.find((i) => i.id === id)
      if (!item) return 'unknown-item'
      if (!device.items.includes(id)) return 'item-of-another-device'
      if (item.min !== undefined && typeof v !== 'number') return 'count-as-boolean'
      if (item.min === undefined && typeof v !== 'boolean') return 'presence-as-number'
    }
  }
  const mine = seen.get(r.from) ?? { pairs: new Set<string>(), maxTs: 0 }
  seen.set(r.from, mine)
  if (mine.pairs.has(`${m.seq}:${m.ts}`)) return 'duplicate'
  if ((m.ts as number) < mine.maxTs) return 'out-of-order'
  mine.pairs.add(`${m.seq}:${m.ts}`)
  mine.maxTs = m.ts as number
  return 'ok'
}

describe('bad-firmware', () => {
  it('sends one message of every malformed kind the contract refuses, and reconnects after the broker drops it', async () => {
    const { station, secrets } = demoFleet({ equipmentMissingSeconds: 0.1 })
    broker = await startTestBroker({ secrets })
    const sim = startSimulation({ url: broker.url, stations: [station], secrets, scenario: 'bad-firmware', seed: 1, speed: 3600 })
    const summary = await sim.done
    await sim.stop()

    const seen = new Map<string, { pairs: Set<string>; maxTs: number }>()
    const kinds = broker.received.filter((r) => r.topic.endsWith('/state')).map((r) => judge(r, station, seen))
    const malformed = kinds.filter((k) => k !== 'ok')
    expect(malformed.sort()).toEqual(MALFORMED_KINDS.filter((k) => k !== 'foreign-topic').sort())

    // The publish to another device's topic: refused by the ACL, connection closed, will out, device back.
    expect(broker.refused).toEqual([{ from: 'xinhua-door-main', topic: 'stations/xinhua/devices/xinhua-door-equipment-room/state' }])
    const fromDoor = broker.received.filter((r) => r.from === 'xinhua-door-main' && r.topic.endsWith('/status'))
    const willAt = fromDoor.findIndex((r) => r.will)
    expect(willAt).toBeGreaterThan(0)
    expect(json(fromDoor[willAt]!)).toEqual({ online: false })
    expect(json(fromDoor[willAt + 1]!)).toMatchObject({ online: true })
    expect(broker.connects.get('xinhua-door-main')).toBe(2)

    expect(summary.counters).toMatchObject({ malformedSent: MALFORMED_KINDS.length, rejectedByBroker: 1, publishTimeouts: 0, connectRefused: 0 })
    expect(summary.expectedRejects.map((r) => r.kind).sort()).toEqual([...MALFORMED_KINDS].sort())
    expect(summary.expectedAlerts).toEqual([expect.objectContaining({ rule: 'device-offline', subject: 'device:xinhua-door-main', optional: true })])
  }, 30_000)
})
