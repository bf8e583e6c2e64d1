import type { Fleet } from '../domain/fleet.ts'
import { parseSubject } from '../domain/station-model.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Alert } from '../alerts/alert.ts'
import type { StationInfo } from '../notify/render.ts'

/**
 * Who took the key, for a message about `alert` (contract v2 §B: "who took the key if any"), from
 * the station's live state: for a door, the holders of the keys that open it and are out now; for
 * a key, the one who took it. Unknown (a key taken without a badge, another subject): undefined.
 */
export function keyHolderFrom(fleet: Fleet): (alert: Pick<Alert, 'station' | 'subject'>) => string | undefined {
  return (alert) => {
    const state = fleet.stations.get(alert.station)
    const subject = parseSubject(alert.subject)
    if (!state || !subject) return undefined
    if (subject.type === 'key') {
      const live = state.keys.get(subject.id)
      return live && !live.present ? live.takenBy : undefined
    }
    if (subject.type !== 'door') return undefined
    const holders = [...new Set(state.keysOutFor(subject.id).flatMap((k) => (k.takenBy ? [k.takenBy] : [])))]
    return holders.length ? holders.join('、') : undefined
  }
}

/** A station's name and time zone for messages, by id. */
export function stationInfoFrom(stations: readonly StationConfig[]): (id: string) => StationInfo | undefined {
  const byId = new Map(stations.map((s) => [s.id, { name: s.name, timezone: s.timezone }]))
  return (id) => byId.get(id)
}
