import { describe, expect, test } from 'vitest'
import { keyHolderFrom, stationInfoFrom } from '../../../src/app/notify-context.ts'
import { Fleet } from '../../../src/domain/fleet.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

const cfg = stationSchema.parse(fixtureStation('kh').json)
const T = 1_800_000_000_000

function fleetWithKeys(slots: Record<string, string | null>, user?: string) {
  const fleet = new Fleet([cfg])
  const s = fleet.stations.get('kh')!
  for (const d of cfg.devices) s.applyStatus(d.id, { online: true }, T)
  s.applyState('kh-keybox', { type: 'keybox', ts: 1, seq: 1, slots: { '1': 'key-main-1', '2': 'key-room-1' } }, T)
  s.applyState('kh-keybox', { type: 'keybox', ts: 2, seq: 2, slots, ...(user ? { user } : {}) }, T + 1000)
  return fleet
}

describe('who took the key, for messages', () => {
  test('a door: whoever took a key that opens it and has not brought it back', () => {
    const holder = keyHolderFrom(fleetWithKeys({ '1': null, '2': 'key-room-1' }, '张三'))
    expect(holder({ station: 'kh', subject: 'door:main' })).toBe('张三')
    expect(holder({ station: 'kh', subject: 'door:equipment-room' })).toBeUndefined()
  })

  test('a key: whoever took it; a key in the box, or taken without a badge, names nobody', () => {
    expect(keyHolderFrom(fleetWithKeys({ '1': 'key-main-1', '2': null }, 'badge-0099'))({ station: 'kh', subject: 'key:key-room-1' })).toBe('badge-0099')
    expect(keyHolderFrom(fleetWithKeys({ '1': 'key-main-1', '2': null }, 'badge-0099'))({ station: 'kh', subject: 'key:key-main-1' })).toBeUndefined()
    expect(keyHolderFrom(fleetWithKeys({ '1': null, '2': 'key-room-1' }))({ station: 'kh', subject: 'door:main' })).toBeUndefined()
  })

  test('other subjects, unknown stations and malformed subjects name nobody', () => {
    const holder = keyHolderFrom(fleetWithKeys({ '1': null, '2': null }, '张三'))
    expect(holder({ station: 'kh', subject: 'item:water' })).toBeUndefined()
    expect(holder({ station: 'nowhere', subject: 'door:main' })).toBeUndefined()
    expect(holder({ station: 'kh', subject: 'not a subject' })).toBeUndefined()
  })
})

test('station info: name and time zone by id', () => {
  const info = stationInfoFrom([cfg])
  expect(info('kh')).toEqual({ name: '测试站', timezone: 'Asia/Shanghai' })
  expect(info('nowhere')).toBeUndefined()
})
