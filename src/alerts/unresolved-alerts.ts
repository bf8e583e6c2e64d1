import type { AlertRecord } from './alert.ts'

/** How an alert is keyed while unresolved, in the deadline queue and in `latestOccurrence`. */
export function alertKey(station: string, rule: string, subject: string): string {
  // Joined, not concatenated: one flat string rather than a rope of pieces, a third of the
  // memory for keys the engine keeps for every rule and subject of the fleet.
  return [station, rule, subject].join('|')
}

interface StationIndex {
  count: number
  forcedDoors: Set<string>
}

const noDoors: ReadonlySet<string> = new Set()

/**
 * The alerts not yet resolved (active or acknowledged), one per (station, rule, subject).
 * The status board asks per station, on every push, how many there are and which doors are
 * forced: those answers are kept up to date here as alerts come and go rather than found by
 * scanning every unresolved alert of the fleet each time. Every change goes through `add` and
 * `remove`, so the index cannot drift from the alerts.
 */
export class UnresolvedAlerts {
  private readonly byKey = new Map<string, AlertRecord>()
  private readonly byId = new Map<string, AlertRecord>()
  private readonly byStation = new Map<string, StationIndex>()

  get(key: string): AlertRecord | undefined {
    return this.byKey.get(key)
  }

  findById(id: string): AlertRecord | undefined {
    return this.byId.get(id)
  }

  /** In the order they were added (a replaced alert keeps its predecessor's place). */
  values(): IterableIterator<AlertRecord> {
    return this.byKey.values()
  }

  add(a: AlertRecord): void {
    const key = alertKey(a.station, a.rule, a.subject)
    const replaced = this.byKey.get(key)
    if (replaced) this.unindex(replaced)
    this.byKey.set(key, a)
    this.byId.set(a.id, a)
    // A drill is not indexed by station: it never counts as a station's alert or forces a door.
    if (a.drill) return
    let s = this.byStation.get(a.station)
    if (!s) this.byStation.set(a.station, (s = { count: 0, forcedDoors: new Set() }))
    s.count++
    if (a.rule === 'door-forced') s.forcedDoors.add(doorOf(a))
  }

  /** Frees the alert's (station, rule, subject): whatever is unresolved there goes. */
  remove(a: AlertRecord): void {
    const key = alertKey(a.station, a.rule, a.subject)
    const current = this.byKey.get(key)
    if (!current) return
    this.byKey.delete(key)
    this.unindex(current)
  }

  countAt(station: string): number {
    return this.byStation.get(station)?.count ?? 0
  }

  /** Doors with an unresolved door-forced alert: a live view, to read at once and not keep. */
  forcedDoorsAt(station: string): ReadonlySet<string> {
    return this.byStation.get(station)?.forcedDoors ?? noDoors
  }

  private unindex(a: AlertRecord): void {
    this.byId.delete(a.id)
    if (a.drill) return
    const s = this.byStation.get(a.station)!
    s.count--
    if (a.rule === 'door-forced') s.forcedDoors.delete(doorOf(a))
    if (s.count === 0) this.byStation.delete(a.station)
  }
}

function doorOf(a: AlertRecord): string {
  return a.subject.slice('door:'.length)
}
