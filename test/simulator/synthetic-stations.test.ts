import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadStations } from '../../src/config/stations.ts'
import { scaledRules } from '../../simulator/scenario.ts'
import { verifySecret } from '../../simulator/secret-hash.ts'
import { coverageProblems, ID_PATTERN, stationProblems } from '../../simulator/station.ts'
import { prepareSyntheticStations } from '../../simulator/synthetic-stations.ts'
import { demoFleet } from './helpers/demo-fleet.ts'

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sim-stations-'))
  dirs.push(d)
  return d
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('synthetic stations for load mode', () => {
  it('writes N valid stations with fleet-unique ids and secrets that verify, which the service loads', () => {
    const root = tempDir()
    const dir = join(root, 'stations')
    const secretsFile = join(root, 'stations.secrets.json')
    const { station: template } = demoFleet()
    const rules = scaledRules(600)
    const prepared = prepareSyntheticStations({ dir, secretsFile, count: 25, template, rules })

    expect(readdirSync(dir).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `s${String(i + 1).padStart(4, '0')}.json`))
    expect(prepared.written).toBe(25)
    const stationIds = new Set(prepared.stations.map((s) => s.id))
    const deviceIds = prepared.stations.flatMap((s) => s.devices.map((d) => d.id))
    expect(stationIds.size).toBe(25)
    expect(new Set(deviceIds).size).toBe(25 * template.devices.length)
    expect(deviceIds).toContain('s0001-door-main')

    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>
    for (const s of prepared.stations) {
      expect(s.id).toMatch(ID_PATTERN)
      expect(stationProblems(s)).toEqual([])
      expect(coverageProblems(s)).toEqual([]) // every door, key and item covered by exactly one device
      expect(s.rules).toEqual(rules)
      expect(s.equipment).toEqual(template.equipment)
      for (const d of s.devices) {
        expect(d.id).toMatch(ID_PATTERN)
        expect(secrets[d.id]).toMatch(/^[0-9a-f]{32,}$/) // ≥ 128 bits
        expect(verifySecret(d.secretHash, secrets[d.id]!)).toBe(true)
        expect(verifySecret(d.secretHash, secrets[d.id]! + 'x')).toBe(false)
      }
    }
    // The service's own loader is the judge of "valid against the contract".
    const loaded = loadStations(dir)
    expect(loaded.stations.map((s) => s.id)).toEqual([...stationIds].sort())
  })

  it('keeps secrets and files when run again, and removes the stations of a larger earlier run', () => {
    const root = tempDir()
    const dir = join(root, 'stations')
    const secretsFile = join(root, 'secrets.json')
    const { station: template } = demoFleet()
    const first = prepareSyntheticStations({ dir, secretsFile, count: 12, template })
    const again = prepareSyntheticStations({ dir, secretsFile, count: 12, template })
    expect(again.written).toBe(0)
    expect(again.secrets).toEqual(first.secrets)

    const fewer = prepareSyntheticStations({ dir, secretsFile, count: 5, template })
    expect(fewer.removed).toBe(7)
    expect(readdirSync(dir)).toHaveLength(5)
    expect(fewer.secrets['s0005-keybox']).toBe(first.secrets['s0005-keybox'])
  })

  it('refuses a folder holding other station files, and a secrets file the service would load as a station', () => {
    const root = tempDir()
    const { station: template } = demoFleet()
    writeFileSync(join(root, 'xinhua.json'), '{}')
    expect(() => prepareSyntheticStations({ dir: root, secretsFile: join(root, '..', 'x.secrets.json'), count: 1, template })).toThrow(
      /--stations-dir .*did not write \(xinhua\.json\)/,
    )
    const empty = tempDir()
    expect(() => prepareSyntheticStations({ dir: empty, secretsFile: join(empty, 'secrets.json'), count: 1, template })).toThrow(/--secrets .*would load it as a station/)
  })
})
