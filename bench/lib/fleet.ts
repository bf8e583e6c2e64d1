/**
 * The benchmark fleet: N devices on N/4 stations shaped like the test fixture station (two doors,
 * a key box with two keys, a shelf with a professional item, a supply and a counted supply), plus
 * an optional `probe` station whose main door the latency benchmark opens and closes.
 */
import type { Rules } from '../../src/domain/station.ts'
import { fixtureStation, writeStations, type FixtureStation } from '../../test/helpers/station-fixture.ts'

export type DeviceKind = 'door' | 'keybox' | 'shelf'
export interface DeviceSpec { id: string; station: string; kind: DeviceKind; secret: string }

export interface Fleet {
  stationsDir: string
  stations: FixtureStation[]
  /** the load devices (not the probe's) */
  devices: DeviceSpec[]
  probe?: { station: string; door: DeviceSpec }
}

const SUFFIX: Record<string, DeviceKind> = { 'door-main': 'door', 'door-room': 'door', keybox: 'keybox', shelf: 'shelf' }

export function makeFleet(deviceCount: number, opts: { rules?: Partial<Rules>; probe?: boolean } = {}): Fleet {
  const n = Math.ceil(deviceCount / 4)
  const width = Math.max(4, String(n).length)
  const stations = Array.from({ length: n }, (_, i) => fixtureStation(`s${String(i + 1).padStart(width, '0')}`, opts.rules ?? {}))
  const devices: DeviceSpec[] = []
  for (const s of stations) {
    for (const [id, secret] of Object.entries(s.secrets)) {
      const kind = SUFFIX[id.slice(s.id.length + 1)]!
      devices.push({ id, station: s.id, kind, secret })
    }
  }
  devices.length = Math.min(devices.length, deviceCount)
  const fleet: Fleet = { stationsDir: '', stations, devices }
  if (opts.probe) {
    const p = fixtureStation('probe', opts.rules ?? {})
    stations.push(p)
    fleet.probe = { station: 'probe', door: { id: 'probe-door-main', station: 'probe', kind: 'door', secret: p.secrets['probe-door-main']! } }
  }
  fleet.stationsDir = writeStations(stations)
  return fleet
}

export function stateTopic(d: DeviceSpec): string {
  return `stations/${d.station}/devices/${d.id}/state`
}
export function statusTopic(d: DeviceSpec): string {
  return `stations/${d.station}/devices/${d.id}/status`
}

/**
 * The state message number `seq` of a device: every message changes something (a door opens or
 * closes, a key is taken or returned, an item comes and goes, the water count moves), so each one
 * runs the whole pipeline: an event, the rules of its subjects, the snapshot and a push. The water
 * count stays at or above its minimum so that no stock-low alert opens and resolves on every message.
 */
export function statePayload(kind: DeviceKind, seq: number, ts: number): string {
  if (kind === 'door') return `{"ts":${ts},"seq":${seq},"open":${seq % 2 === 0}}`
  if (kind === 'keybox') return `{"ts":${ts},"seq":${seq},"slots":{"1":${seq % 2 ? '"key-main-1"' : 'null'},"2":"key-room-1"}}`
  return `{"ts":${ts},"seq":${seq},"items":{"spreader-1":true,"extinguisher":${seq % 2 === 0},"water":${24 + (seq % 10)}}}`
}

/** A state that raises no alert and starts no deadline: door closed, both keys in, everything on the shelf. */
export function calmPayload(kind: DeviceKind, seq: number, ts: number): string {
  if (kind === 'door') return `{"ts":${ts},"seq":${seq},"open":false}`
  if (kind === 'keybox') return `{"ts":${ts},"seq":${seq},"slots":{"1":"key-main-1","2":"key-room-1"}}`
  return `{"ts":${ts},"seq":${seq},"items":{"spreader-1":true,"extinguisher":true,"water":30}}`
}

/** The time-series points one state message becomes (contract §7): one per door, key or item. */
export const POINTS_PER_MESSAGE: Record<DeviceKind, number> = { door: 1, keybox: 2, shelf: 3 }
