import { describe, expect, test } from 'vitest'
import type { StateReading } from '../../../src/domain/readings.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import { StationModel, type Subject } from '../../../src/domain/station-model.ts'
import { StationState } from '../../../src/domain/station-state.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

const cfg = stationSchema.parse(fixtureStation('sub').json)
const T = 1_800_000_000_000

describe('subject names made once per station model', () => {
  const model = new StationModel(cfg)

  test('name every configured door, key, item and device as type:id', () => {
    for (const d of cfg.doors) expect(model.subject('door', d.id)).toBe(`door:${d.id}`)
    for (const k of cfg.keys) expect(model.subject('key', k.id)).toBe(`key:${k.id}`)
    for (const e of cfg.equipment) expect(model.subject('item', e.id)).toBe(`item:${e.id}`)
    for (const d of cfg.devices) expect(model.subject('device', d.id)).toBe(`device:${d.id}`)
  })

  test('a name the configuration does not hold is still made, and not kept', () => {
    expect(model.subject('door', 'cellar')).toBe('door:cellar')
    expect(model.subject('key', 'main')).toBe('key:main') // a door id is no key
  })

  test("a device's subjects are the ones it reports on, in configuration order", () => {
    expect(model.subjectsOf('sub-door-main')).toEqual(['door:main'])
    expect(model.subjectsOf('sub-keybox')).toEqual(['key:key-main-1', 'key:key-room-1'])
    expect(model.subjectsOf('sub-shelf')).toEqual(['item:spreader-1', 'item:extinguisher', 'item:water'])
    expect(model.subjectsOf('nobody')).toEqual([])
  })

  test('the keys that open a door', () => {
    expect(model.keysOpening('main').map((k) => k.id)).toEqual(['key-main-1'])
    expect(model.keysOpening('cellar')).toEqual([])
  })

  test("a reading's touched subjects are the model's names", () => {
    const s = new StationState(new StationModel(cfg))
    const named = new Set<Subject>([...cfg.devices.map((d) => s.model.subject('device', d.id)), ...cfg.devices.flatMap((d) => s.model.subjectsOf(d.id))])
    const readings: [string, StateReading][] = [
      ['sub-door-main', { type: 'door', ts: 1, seq: 1, open: true }],
      ['sub-keybox', { type: 'keybox', ts: 1, seq: 1, slots: { '1': 'key-room-1', '2': null } }],
      ['sub-shelf', { type: 'equipment', ts: 1, seq: 1, items: { water: 3, 'spreader-1': false } }],
    ]
    const touched = readings.flatMap(([d, r]) => s.applyState(d, r, T).touched)
    expect(touched).toEqual([
      'device:sub-door-main', 'door:main',
      'device:sub-keybox', 'key:key-main-1', 'key:key-room-1',
      'device:sub-shelf', 'item:spreader-1', 'item:extinguisher', 'item:water',
    ])
    for (const t of touched) expect(named.has(t)).toBe(true)
    expect(s.applyStatus('sub-shelf', { online: true }, T).touched).toEqual(['device:sub-shelf'])
  })
})

describe('staleness by id and by subject', () => {
  /** The subject check as it was: take the string apart. */
  function staleBySplit(s: StationState, subject: string): boolean {
    const [type, id] = subject.split(':') as [string, string]
    const online = (d: string | undefined) => d !== undefined && (s.devices.get(d)?.online ?? false)
    if (type === 'door') return !s.doors.has(id) || !online(s.model.deviceOfDoor(id))
    if (type === 'key') return !s.keys.has(id) || !online(s.model.homeOfKey(id)?.device)
    if (type === 'item') return !s.items.has(id) || !online(s.model.deviceOfItem(id))
    return false
  }

  test('agree with each other and with the old check, whatever has been reported', () => {
    const s = new StationState(new StationModel(cfg))
    const subjects = [...cfg.doors.map((d) => `door:${d.id}`), ...cfg.keys.map((k) => `key:${k.id}`), ...cfg.equipment.map((e) => `item:${e.id}`), ...cfg.devices.map((d) => `device:${d.id}`), 'door:cellar', 'item:nothing', 'key:none'] as Subject[]
    const check = () => {
      for (const subject of subjects) {
        const expected = staleBySplit(s, subject)
        expect(s.isStale(subject), subject).toBe(expected)
        const id = subject.slice(subject.indexOf(':') + 1)
        if (subject.startsWith('door:')) expect(s.isDoorStale(id)).toBe(expected)
        if (subject.startsWith('key:')) expect(s.isKeyStale(id)).toBe(expected)
        if (subject.startsWith('item:')) expect(s.isItemStale(id)).toBe(expected)
      }
    }
    check()
    s.applyState('sub-door-main', { type: 'door', ts: 1, seq: 1, open: false }, T)
    check()
    s.applyState('sub-keybox', { type: 'keybox', ts: 1, seq: 1, slots: { '1': null } }, T)
    s.applyState('sub-shelf', { type: 'equipment', ts: 1, seq: 1, items: { water: 30 } }, T)
    check()
    s.applyStatus('sub-keybox', { online: false }, T + 1)
    s.markSilent('sub-door-main', T + 2)
    check()
    expect(s.isStale('key:key-main-1')).toBe(true)
    s.applyStatus('sub-keybox', { online: true }, T + 3)
    check()
    expect(s.isStale('key:key-main-1')).toBe(false)
    expect(s.isStale('key:key-room-1')).toBe(true) // its slot has not been reported
  })
})
