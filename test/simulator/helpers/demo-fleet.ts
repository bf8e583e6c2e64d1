import { resolve } from 'node:path'
import { loadSecrets, loadStationFiles } from '../../../simulator/station-files.ts'
import type { Rules, Station } from '../../../simulator/station.ts'

const ROOT = resolve(import.meta.dirname, '../../..')
export const DEMO_STATION_FILE = resolve(ROOT, 'config/stations/xinhua.json')
export const DEMO_SECRETS_FILE = resolve(ROOT, 'simulator/demo-secrets.json')

/** The demo station, optionally with other rules, and its demo secrets. */
export function demoFleet(rules?: Partial<Rules>): { station: Station; secrets: Record<string, string> } {
  const station = loadStationFiles(DEMO_STATION_FILE)[0]!
  return { station: rules ? { ...station, rules: { ...station.rules, ...rules } } : station, secrets: loadSecrets(DEMO_SECRETS_FILE) }
}
