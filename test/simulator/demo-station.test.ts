import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadStations } from '../../src/config/stations.ts'
import { buildDemoStation } from '../../simulator/demo-station.ts'
import { verifySecret } from '../../simulator/secret-hash.ts'
import { toJsonText } from '../../simulator/station-files.ts'
import { coverageProblems, ID_PATTERN, stationProblems } from '../../simulator/station.ts'
import { DEMO_SECRETS_FILE, DEMO_STATION_FILE, demoFleet } from './helpers/demo-fleet.ts'

describe('the demo station config/stations/xinhua.json', () => {
  const { station, secrets } = demoFleet()

  it('models docs/domain.md: 8 professional kinds in 4 categories, 34 supplies in 9 categories', () => {
    const pro = station.equipment.filter((i) => i.kind === 'professional')
    const supplies = station.equipment.filter((i) => i.kind === 'supply')
    expect(pro).toHaveLength(8)
    expect(new Set(pro.map((i) => i.category))).toEqual(new Set(['breaching', 'lifting-moving', 'electrical', 'lighting-comms']))
    expect(supplies).toHaveLength(34)
    expect(new Set(supplies.map((i) => i.category))).toEqual(
      new Set(['first-aid', 'fire', 'flood', 'hand-tools', 'lighting', 'protection', 'shelter', 'water-food', 'signalling']),
    )
    expect(station.equipment.find((i) => i.id === 'drinking-water')?.min).toBe(24)
    expect(supplies.filter((i) => i.min !== undefined).length).toBeGreaterThan(10)
    for (const i of station.equipment) {
      expect(i.id).toMatch(ID_PATTERN)
      expect(i.name).toMatch(/\p{Script=Han}/u)
    }
  })

  it('has two doors, two keys a door (property and community) in one key box, every item read once', () => {
    expect(station).toMatchObject({ id: 'xinhua', name: '新华社区应急服务站', timezone: 'Asia/Shanghai' })
    expect(station.doors.map((d) => d.id)).toEqual(['main', 'equipment-room'])
    for (const door of station.doors) {
      const keys = station.keys.filter((k) => k.opens.includes(door.id))
      expect(keys.map((k) => k.holder).sort()).toEqual(['community', 'property'])
    }
    const keyboxes = station.devices.filter((d) => d.type === 'keybox')
    expect(keyboxes).toHaveLength(1)
    expect(keyboxes[0]).toMatchObject({ id: 'xinhua-keybox', slots: { '1': expect.any(String), '2': expect.any(String), '3': expect.any(String), '4': expect.any(String) } })
    expect(station.devices.filter((d) => d.type === 'door').map((d) => d.id)).toEqual(['xinhua-door-main', 'xinhua-door-equipment-room'])
    expect(stationProblems(station)).toEqual([])
    expect(coverageProblems(station)).toEqual([])
    expect(loadStations(DEMO_STATION_FILE).stations).toHaveLength(1) // the service accepts it
  })

  it('ships a weekly and a monthly inspection whose items name its own equipment', () => {
    const loaded = loadStations(DEMO_STATION_FILE).stations[0]!
    expect(loaded.inspections.map((i) => [i.every, i.due])).toEqual([['week', 'mon 09:00'], ['month', '1 09:00']])
    const names = station.equipment.map((e) => e.name)
    for (const insp of loaded.inspections) {
      expect(insp.items.length).toBeGreaterThanOrEqual(5)
      // most items check a named piece of the station's equipment
      expect(insp.items.filter((i) => names.some((n) => i.text.includes(n))).length).toBeGreaterThanOrEqual(insp.items.length / 2)
    }
  })

  it('is generated from the data table, and its demo secrets verify against its hashes', () => {
    const hashes = Object.fromEntries(station.devices.map((d) => [d.id, d.secretHash]))
    expect(readFileSync(DEMO_STATION_FILE, 'utf8')).toBe(toJsonText(buildDemoStation(hashes)))
    expect(Object.keys(secrets).sort()).toEqual(station.devices.map((d) => d.id).sort())
    for (const d of station.devices) {
      expect(d.secretHash).toMatch(/^sha256:[0-9a-f]{16,}:[0-9a-f]{64}$/)
      expect(secrets[d.id]).toMatch(/^[0-9a-f]{32,}$/)
      expect(verifySecret(d.secretHash, secrets[d.id]!)).toBe(true)
    }
    expect(DEMO_SECRETS_FILE).toMatch(/simulator\/demo-secrets\.json$/)
  })
})
