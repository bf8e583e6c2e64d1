import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashSecret } from '../../src/auth/secret-hash.ts'
import type { Rules } from '../../src/domain/station.ts'
import { randomBytes } from 'node:crypto'

export interface FixtureStation {
  id: string
  /** device id → secret */
  secrets: Record<string, string>
  json: Record<string, unknown>
}

/**
 * A small but complete station: two doors, two keys in one box, one professional
 * item, one presence supply and one counted supply, on one reader.
 */
export function fixtureStation(id = 'teststation', rules: Partial<Rules> = {}): FixtureStation {
  const secrets: Record<string, string> = {}
  const dev = (devId: string) => {
    secrets[devId] = randomBytes(16).toString('hex')
    return hashSecret(secrets[devId])
  }
  const json = {
    id,
    name: '测试站',
    timezone: 'Asia/Shanghai',
    doors: [
      { id: 'main', name: '正门' },
      { id: 'equipment-room', name: '器材室' },
    ],
    keys: [
      { id: 'key-main-1', name: '正门钥匙（物业）', opens: ['main'], holder: 'property' },
      { id: 'key-room-1', name: '器材室钥匙（社区）', opens: ['equipment-room'], holder: 'community' },
    ],
    equipment: [
      { id: 'spreader-1', name: '液压破拆工具', category: 'breaching', kind: 'professional' },
      { id: 'extinguisher', name: '灭火器', category: 'fire', kind: 'supply' },
      { id: 'water', name: '饮用水', category: 'water-food', kind: 'supply', min: 24 },
    ],
    devices: [
      { id: `${id}-door-main`, type: 'door', door: 'main', secretHash: dev(`${id}-door-main`) },
      { id: `${id}-door-room`, type: 'door', door: 'equipment-room', secretHash: dev(`${id}-door-room`) },
      { id: `${id}-keybox`, type: 'keybox', slots: { '1': 'key-main-1', '2': 'key-room-1' }, secretHash: dev(`${id}-keybox`) },
      { id: `${id}-shelf`, type: 'equipment', items: ['spreader-1', 'extinguisher', 'water'], secretHash: dev(`${id}-shelf`) },
    ],
    rules,
  }
  return { id, secrets, json }
}

export function tempDir(prefix = 'sw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Writes stations as `<dir>/<id>.json` and returns the folder. */
export function writeStations(stations: FixtureStation[], dir = tempDir('sw-stations-')): string {
  mkdirSync(dir, { recursive: true })
  for (const s of stations) writeFileSync(join(dir, `${s.id}.json`), JSON.stringify(s.json, null, 2))
  return dir
}
