import {
  DEMO_DOOR_DEVICES,
  DEMO_DOORS,
  DEMO_INSPECTIONS,
  DEMO_ITEMS,
  DEMO_KEYBOX,
  DEMO_KEYS,
  DEMO_READERS,
  DEMO_STATION,
} from './demo-station-data.ts'
import type { Station } from './station.ts'

const deviceId = (suffix: string): string => `${DEMO_STATION.id}-${suffix}`

/** Device ids of the demo station, in file order: doors, key box, readers. */
export function demoDeviceIds(): string[] {
  return [...DEMO_DOOR_DEVICES.map((d) => deviceId(d.suffix)), deviceId(DEMO_KEYBOX), ...DEMO_READERS.map(deviceId)]
}

/** The demo station file, given each device's `secretHash`. Rules are left to the defaults. */
export function buildDemoStation(secretHashes: Readonly<Record<string, string>>): Station {
  const hashOf = (id: string): string => {
    const h = secretHashes[id]
    if (!h) throw new Error(`buildDemoStation: no secretHash for device "${id}"`)
    return h
  }
  return {
    id: DEMO_STATION.id,
    name: DEMO_STATION.name,
    timezone: DEMO_STATION.timezone,
    doors: DEMO_DOORS.map((d) => ({ id: d.id, name: d.name })),
    keys: DEMO_KEYS.map((k) => ({ id: k.id, name: k.name, opens: [...k.opens], holder: k.holder })),
    equipment: DEMO_ITEMS.map((i) => ({
      id: i.id,
      name: i.name,
      category: i.category,
      kind: i.kind,
      ...(i.min !== undefined ? { min: i.min } : {}),
    })),
    devices: [
      ...DEMO_DOOR_DEVICES.map((d) => ({ id: deviceId(d.suffix), type: 'door' as const, door: d.door, secretHash: hashOf(deviceId(d.suffix)) })),
      {
        id: deviceId(DEMO_KEYBOX),
        type: 'keybox' as const,
        slots: Object.fromEntries(DEMO_KEYS.map((k) => [k.slot, k.id])),
        secretHash: hashOf(deviceId(DEMO_KEYBOX)),
      },
      ...DEMO_READERS.map((r) => ({
        id: deviceId(r),
        type: 'equipment' as const,
        items: DEMO_ITEMS.filter((i) => i.reader === r).map((i) => i.id),
        secretHash: hashOf(deviceId(r)),
      })),
    ],
    inspections: DEMO_INSPECTIONS.map((i) => ({ ...i, items: i.items.map((item) => ({ ...item })) })),
  }
}
