import type { DeviceConfig } from '../domain/station.ts'
import type { StationModel, Subject } from '../domain/station-model.ts'
import type { DeviceStatus, StateReading } from '../domain/readings.ts'
import type { Point } from '../ports.ts'

/** One series a device writes: what its points share, reading after reading. */
interface Series {
  subject: Subject
  tags: Readonly<Record<string, string>>
}

/**
 * A device's series by door, key or item id, made on its first reading and kept. Every point
 * needs a subject and tags that never change for the device: made afresh they were garbage on
 * every message. Shared, the tags are also cloned once per batch on their way to the writer,
 * not once per point. Frozen, because every point of the series holds the same object.
 */
interface DeviceSeries {
  model: StationModel
  byId: Map<string, Series>
}

const seriesByDevice = new WeakMap<DeviceConfig, DeviceSeries>()

function seriesOf(model: StationModel, device: DeviceConfig): DeviceSeries {
  let s = seriesByDevice.get(device)
  if (!s || s.model !== model) {
    s = { model, byId: new Map() }
    const ids = device.type === 'door' ? [device.door] : device.type === 'keybox' ? [...model.keys.keys()] : device.items
    for (const id of ids) s.byId.set(id, makeSeries(model, device, id))
    seriesByDevice.set(device, s)
  }
  return s
}

function series(s: DeviceSeries, device: DeviceConfig, id: string): Series {
  // Anything a reading may name was made with the device; the fallback only keeps this total.
  return s.byId.get(id) ?? makeSeries(s.model, device, id)
}

function makeSeries(model: StationModel, device: DeviceConfig, id: string): Series {
  const station = model.id
  switch (device.type) {
    case 'door':
      return { subject: model.subject('door', id), tags: Object.freeze({ station, door: id, device: device.id }) }
    case 'keybox':
      return { subject: model.subject('key', id), tags: Object.freeze({ station, key: id, device: device.id }) }
    case 'equipment': {
      const cfg = model.items.get(id)!
      return { subject: model.subject('item', id), tags: Object.freeze({ station, item: id, category: cfg.category, kind: cfg.kind, device: device.id }) }
    }
  }
}

/**
 * The time-series points one accepted reading becomes (contract §7), derived from
 * the message alone so that history-only (out-of-order) readings are stored the same way.
 */
export function pointsFromReading(model: StationModel, device: DeviceConfig, r: StateReading, t: number): Point[] {
  const station = model.id
  switch (r.type) {
    case 'door': {
      if (device.type !== 'door') return []
      const { subject, tags } = series(seriesOf(model, device), device, device.door)
      return [{ measurement: 'door', t, station, subject, tags, fields: { open: r.open, device_ts: r.ts } }]
    }
    case 'keybox': {
      if (device.type !== 'keybox') return []
      const s = seriesOf(model, device)
      const points: Point[] = []
      const user = r.user ?? null
      // Slots are usually named "1", "2", …: enumerating such names costs more than the rest of
      // this, so they are listed once.
      const slots = Object.keys(r.slots)
      // Every key seen in a reported slot (in the last slot that names it), then every key whose
      // home slot was reported but that was seen nowhere.
      for (const slot of slots) {
        const key = r.slots[slot]
        if (!key) continue
        const seen = points.find((p) => p.tags.key === key)
        if (seen) seen.fields.slot = slot
        else points.push(keyPoint(series(s, device, key), t, station, true, slot, user, r.ts))
      }
      for (const slot of slots) {
        const home = Object.hasOwn(device.slots, slot) ? device.slots[slot] : undefined
        if (home && !points.some((p) => p.tags.key === home)) points.push(keyPoint(series(s, device, home), t, station, false, null, user, r.ts))
      }
      return points
    }
    case 'equipment': {
      if (device.type !== 'equipment') return []
      const s = seriesOf(model, device)
      const points: Point[] = []
      for (const item in r.items) {
        const v = r.items[item]!
        const { subject, tags } = series(s, device, item)
        points.push({ measurement: 'item', t, station, subject, tags, fields: typeof v === 'number' ? { count: v, device_ts: r.ts } : { present: v, device_ts: r.ts } })
      }
      return points
    }
  }
}

function keyPoint({ subject, tags }: Series, t: number, station: string, present: boolean, slot: string | null, user: string | null, deviceTs: number): Point {
  return { measurement: 'key', t, station, subject, tags, fields: { present, slot, user, device_ts: deviceTs } }
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
