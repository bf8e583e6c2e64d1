/**
 * Per-user station scope (contract v2 §E): a user or display token may be limited to some stations.
 * `stations` absent means every station, including ones added later. This is the one place that
 * decides whether a principal may see a station; every HTTP route and `/ws` asks it. Pure: the
 * live station set is never copied here (stations can be added at runtime).
 */

/** Who is asking, as far as scope goes: `stations` absent = all. */
export interface Scoped { stations?: readonly string[] }

/** A principal's scope as a set, or `null` for every station. */
export type StationScope = ReadonlySet<string> | null

export function scopeOf(who: Scoped | undefined): StationScope {
  return who?.stations ? new Set(who.stations) : null
}

export function canSee(who: Scoped | undefined, station: string): boolean {
  return !who?.stations || who.stations.includes(station)
}

/** Keeps what the principal may see; `stationOf` names each item's station. */
export function visible<T>(who: Scoped | undefined, items: readonly T[], stationOf: (item: T) => string): T[] {
  if (!who?.stations) return [...items]
  const scope = new Set(who.stations)
  return items.filter((i) => scope.has(stationOf(i)))
}

/**
 * A newest-first list (alerts, drills) for a principal, read from a store that filters by at most one
 * station: unscoped or for one station, one read; otherwise one read per station in scope, merged
 * newest first and cut to `limit`. A station out of scope reads as one with nothing in it. The
 * store may answer synchronously or with a Promise.
 */
export async function scopedList<T>(who: Scoped | undefined, q: { station?: string; limit: number }, read: (station: string | undefined) => T[] | Promise<T[]>, timeOf: (item: T) => number): Promise<T[]> {
  if (q.station !== undefined) return canSee(who, q.station) ? read(q.station) : []
  if (!who?.stations) return read(undefined)
  const lists = await Promise.all([...new Set(who.stations)].map(async (s) => read(s)))
  return lists
    .flat()
    .sort((a, b) => timeOf(b) - timeOf(a))
    .slice(0, q.limit)
}

/**
 * Checks a requested station list (a user's or a display token's) against the live station set.
 * Returns the first unknown id, or undefined when every id is known.
 */
export function unknownStation(stations: readonly string[], isKnown: (id: string) => boolean): string | undefined {
  return stations.find((s) => !isKnown(s))
}
