import { describe, expect, test } from 'vitest'
import type { StateReading } from '../../../src/domain/readings.ts'
import { stationSchema, type DeviceConfig } from '../../../src/domain/station.ts'
import { StationModel } from '../../../src/domain/station-model.ts'
import { pointsFromReading } from '../../../src/ingest/points.ts'
import type { Point } from '../../../src/ports.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { Rng } from '../../../simulator/prng.ts'

/** The points as they were made before series were kept per device: new maps, sets and tags each time. */
function referencePoints(model: StationModel, device: DeviceConfig, r: StateReading, t: number): Point[] {
  const station = model.id
  switch (r.type) {
    case 'door':
      if (device.type !== 'door') return []
      return [{ measurement: 'door', t, station, subject: `door:${device.door}`, tags: { station, door: device.door, device: device.id }, fields: { open: r.open, device_ts: r.ts } }]
    case 'keybox': {
      if (device.type !== 'keybox') return []
      const seenIn = new Map<string, string>()
      for (const [slot, key] of Object.entries(r.slots)) if (key) seenIn.set(key, slot)
      const keys = new Set<string>(seenIn.keys())
      for (const slot of Object.keys(r.slots)) {
        const home = Object.hasOwn(device.slots, slot) ? device.slots[slot] : undefined
        if (home) keys.add(home)
      }
      return [...keys].map((key) => ({
        measurement: 'key' as const,
        t,
        station,
        subject: `key:${key}`,
        tags: { station, key, device: device.id },
        fields: { present: seenIn.has(key), slot: seenIn.get(key) ?? null, user: r.user ?? null, device_ts: r.ts },
      }))
    }
    case 'equipment':
      return Object.entries(r.items).map(([item, v]): Point => {
        const cfg = model.items.get(item)!
        return { measurement: 'item', t, station, subject: `item:${item}`, tags: { station, item, category: cfg.category, kind: cfg.kind, device: device.id }, fields: typeof v === 'number' ? { count: v, device_ts: r.ts } : { present: v, device_ts: r.ts } }
      })
  }
}

// Two key boxes, one of them with slots that are not numbers; a key with no home slot.
const json = fixtureStation('pts').json as Record<string, unknown> & { keys: unknown[]; devices: Record<string, unknown>[] }
json.keys.push({ id: 'key-spare', name: 'spare', opens: ['main'] }, { id: 'key-loose', name: 'loose', opens: ['main'] })
json.devices.push({ ...json.devices[2], id: 'pts-keybox-b', slots: { b: 'key-spare', '10': 'key-main-2' } })
json.keys.push({ id: 'key-main-2', name: 'main 2', opens: ['main'] })
const cfg = stationSchema.parse(json)
const model = new StationModel(cfg)
const device = (id: string) => cfg.devices.find((d) => d.id === id)!

function rng(seed: number): () => number {
  const r = new Rng(seed)
  return () => r.next()
}

describe('points of a reading', () => {
  test('are the same as before, for random readings of every device', () => {
    const rnd = rng(7)
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
    const keys = [...model.keys.keys()]
    for (let i = 0; i < 3_000; i++) {
      const d = pick(cfg.devices)
      const ts = 1_764_130_000_000 + i
      let r: StateReading
      if (d.type === 'door') r = { type: 'door', ts, seq: i, open: rnd() < 0.5 }
      else if (d.type === 'keybox') {
        const slots: Record<string, string | null> = {}
        for (const s of Object.keys(d.slots)) if (rnd() < 0.7) slots[s] = rnd() < 0.3 ? null : pick(keys)
        r = { type: 'keybox', ts, seq: i, slots, ...(rnd() < 0.5 ? { user: 'badge-1' } : {}) }
      } else {
        const items: Record<string, boolean | number> = {}
        for (const id of d.items) if (rnd() < 0.7) items[id] = model.items.get(id)!.min !== undefined ? Math.floor(rnd() * 40) : rnd() < 0.5
        r = { type: 'equipment', ts, seq: i, items }
      }
      expect(JSON.stringify(pointsFromReading(model, d, r, 1000 + i))).toBe(JSON.stringify(referencePoints(model, d, r, 1000 + i)))
    }
  })

  test('a key seen in two slots is reported once, in the last of them; unseen home keys come after', () => {
    const r: StateReading = { type: 'keybox', ts: 5, seq: 5, slots: { '1': 'key-room-1', '2': 'key-room-1' } }
    const points = pointsFromReading(model, device('pts-keybox'), r, 9)
    expect(points.map((p) => [p.subject, p.fields.present, p.fields.slot])).toEqual([
      ['key:key-room-1', true, '2'],
      ['key:key-main-1', false, null],
    ])
  })

  test('share one frozen tags object per series, reading after reading', () => {
    const door = device('pts-door-main')
    const a = pointsFromReading(model, door, { type: 'door', ts: 1, seq: 1, open: true }, 1)[0]!
    const b = pointsFromReading(model, door, { type: 'door', ts: 2, seq: 2, open: false }, 2)[0]!
    expect(b.tags).toBe(a.tags)
    expect(b.fields).not.toBe(a.fields)
    expect(Object.isFrozen(a.tags)).toBe(true)
    const shelf = device('pts-shelf')
    const [x] = pointsFromReading(model, shelf, { type: 'equipment', ts: 1, seq: 1, items: { water: 3 } }, 1)
    const [y] = pointsFromReading(model, shelf, { type: 'equipment', ts: 2, seq: 2, items: { water: 4 } }, 2)
    expect(y!.tags).toBe(x!.tags)
    expect(y!.tags).toEqual({ station: 'pts', item: 'water', category: 'water-food', kind: 'supply', device: 'pts-shelf' })
  })

  test("a device's series belong to its station model: the same device in another station is tagged with that one", () => {
    const other = new StationModel({ ...cfg, id: 'pts-copy' })
    const door = device('pts-door-main')
    const r: StateReading = { type: 'door', ts: 1, seq: 1, open: true }
    expect(pointsFromReading(model, door, r, 1)[0]!.tags.station).toBe('pts')
    expect(pointsFromReading(other, door, r, 1)[0]!.tags.station).toBe('pts-copy')
    expect(pointsFromReading(model, door, r, 1)[0]!.tags.station).toBe('pts')
  })
})
