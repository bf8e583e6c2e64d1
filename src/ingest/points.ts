import type { DeviceConfig } from '../domain/station.ts'
import type { StationModel } from '../domain/station-model.ts'
import type { DeviceStatus, StateReading } from '../domain/readings.ts'
import type { Point } from '../ports.ts'

/**
 * The time-series points one accepted reading becomes (contract §7), derived from
 * the message alone so that history-only (out-of-order) readings are stored the same way.
 */
export function pointsFromReading(model: StationModel, device: DeviceConfig, r: StateReading, t: number): Point[] {
  const station = model.id
  switch (r.type) {
    case 'door': {
      if (device.type !== 'door') return []
      return [{ measurement: 'door', t, station, subject: `door:${device.door}`, tags: { station, door: device.door, device: device.id }, fields: { open: r.open, device_ts: r.ts } }]
    }
    case 'keybox': {
      if (device.type !== 'keybox') return []
      // Every key whose home slot was reported, or that was seen in a reported slot.
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
        return {
          measurement: 'item',
          t,
          station,
          subject: `item:${item}`,
          tags: { station, item, category: cfg.category, kind: cfg.kind, device: device.id },
          fields: typeof v === 'number' ? { count: v, device_ts: r.ts } : { present: v, device_ts: r.ts },
        }
      })
  }
}

export function pointFromStatus(station: string, device: DeviceConfig, s: Pick<DeviceStatus, 'online' | 'battery' | 'rssi'>, t: number): Point {
  return {
    measurement: 'device',
    t,
    station,
    subject: `device:${device.id}`,
    tags: { station, device: device.id, type: device.type },
    fields: { online: s.online, battery: s.battery ?? null, rssi: s.rssi ?? null },
  }
}
