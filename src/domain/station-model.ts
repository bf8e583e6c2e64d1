import type { DeviceConfig, DoorConfig, ItemConfig, KeyConfig, StationConfig } from './station.ts'

export type SubjectType = 'door' | 'key' | 'item' | 'device'
export type Subject = `door:${string}` | `key:${string}` | `item:${string}` | `device:${string}`

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
  private readonly doorKeys = new Map<string, readonly KeyConfig[]>()
  /**
   * Every configured subject's name, made once. Each reading names the subjects it touched and the
   * alert engine looks each one up in several maps: a string built afresh for every reading was
   * hashed again in each of them, about a quarter of what the engine spent on a reading.
   */
  private readonly subjects: Record<SubjectType, Map<string, Subject>> = { door: new Map(), key: new Map(), item: new Map(), device: new Map() }
  private readonly deviceSubjects = new Map<string, readonly Subject[]>()

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
    for (const d of config.doors) this.doorKeys.set(d.id, config.keys.filter((k) => k.opens.includes(d.id)))
    for (const id of this.doors.keys()) this.subjects.door.set(id, subjectName('door', id))
    for (const id of this.keys.keys()) this.subjects.key.set(id, subjectName('key', id))
    for (const id of this.items.keys()) this.subjects.item.set(id, subjectName('item', id))
    for (const id of this.devices.keys()) this.subjects.device.set(id, subjectName('device', id))
    for (const d of config.devices) {
      if (d.type === 'door') this.deviceSubjects.set(d.id, [this.subject('door', d.door)])
      else if (d.type === 'keybox') this.deviceSubjects.set(d.id, Object.values(d.slots).map((k) => this.subject('key', k)))
      else this.deviceSubjects.set(d.id, d.items.map((i) => this.subject('item', i)))
    }
  }

  get rules() {
    return this.config.rules
  }

  /** `type:id`, the same string each time for what the configuration names. */
  subject(type: SubjectType, id: string): Subject {
    return this.subjects[type].get(id) ?? subjectName(type, id)
  }

  /** The subjects a device reports on (and which go stale with it). */
  subjectsOf(deviceId: string): readonly Subject[] {
    return this.deviceSubjects.get(deviceId) ?? []
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
  keysOpening(door: string): readonly KeyConfig[] {
    return this.doorKeys.get(door) ?? []
  }
  /** An item no device reports is the ledger's: the engine's item rules leave it alone. */
  isSensed(item: string): boolean {
    return this.itemDevice.has(item)
  }
  isCounted(item: string): boolean {
    return this.items.get(item)?.min !== undefined
  }
}

// Joined rather than a template literal: V8 keeps a concatenation as a rope of its pieces, and a
// name kept for the life of the service and read on every reading is better one flat string.
function subjectName(type: SubjectType, id: string): Subject {
  return [type, id].join(':') as Subject
}

export function parseSubject(subject: string): { type: SubjectType; id: string } | undefined {
  const m = /^(door|key|item|device):([a-z0-9][a-z0-9-]{0,62})$/.exec(subject)
  return m ? { type: m[1] as SubjectType, id: m[2]! } : undefined
}
