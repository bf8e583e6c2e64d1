import type { DeviceConfig, DoorConfig, ItemConfig, KeyConfig, StationConfig } from './station.ts'

/** Read-only lookups over one station's configuration, built once at start-up. */
export class StationModel {
  readonly id: string
  readonly doors: ReadonlyMap<string, DoorConfig>
  readonly keys: ReadonlyMap<string, KeyConfig>
  readonly items: ReadonlyMap<string, ItemConfig>
  readonly devices: ReadonlyMap<string, DeviceConfig>
  private readonly doorDevice = new Map<string, string>()
  private readonly keyDevice = new Map<string, { device: string; slot: string }>()
  private readonly itemDevice = new Map<string, string>()

  constructor(readonly config: StationConfig) {
    this.id = config.id
    this.doors = new Map(config.doors.map((d) => [d.id, d]))
    this.keys = new Map(config.keys.map((k) => [k.id, k]))
    this.items = new Map(config.equipment.map((e) => [e.id, e]))
    this.devices = new Map(config.devices.map((d) => [d.id, d]))
    for (const d of config.devices) {
      if (d.type === 'door') this.doorDevice.set(d.door, d.id)
      else if (d.type === 'keybox') for (const [slot, key] of Object.entries(d.slots)) this.keyDevice.set(key, { device: d.id, slot })
      else for (const item of d.items) this.itemDevice.set(item, d.id)
    }
  }

  get rules() {
    return this.config.rules
  }

  deviceOfDoor(door: string): string | undefined {
    return this.doorDevice.get(door)
  }
  /** The key box and slot a key belongs in. */
  homeOfKey(key: string): { device: string; slot: string } | undefined {
    return this.keyDevice.get(key)
  }
  deviceOfItem(item: string): string | undefined {
    return this.itemDevice.get(item)
  }
  keysOpening(door: string): KeyConfig[] {
    return this.config.keys.filter((k) => k.opens.includes(door))
  }
  isCounted(item: string): boolean {
    return this.items.get(item)?.min !== undefined
  }
}

export type Subject = `door:${string}` | `key:${string}` | `item:${string}` | `device:${string}`

export function parseSubject(subject: string): { type: 'door' | 'key' | 'item' | 'device'; id: string } | undefined {
  const m = /^(door|key|item|device):([a-z0-9][a-z0-9-]{0,62})$/.exec(subject)
  return m ? { type: m[1] as 'door' | 'key' | 'item' | 'device', id: m[2]! } : undefined
}
