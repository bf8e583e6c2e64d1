import type { NextFunction, Request, Response } from 'express'
import { canSee } from '../../auth/station-scope.ts'
import { AppError, type ErrorCode } from '../../domain/errors.ts'

type Lookup = (id: string) => string | undefined | Promise<string | undefined>

/**
 * Which station a thing named in a path belongs to (undefined: no such thing — its route answers 404
 * itself). A lookup may answer from the state store asynchronously.
 */
export interface ScopeLookups {
  alertStation: Lookup
  incidentStation: Lookup
  drillStation: Lookup
  deviceStation: Lookup
}

/** Path prefixes that name one thing, and how its route says "no such thing" (a station out of scope answers exactly that). */
const NAMED: Record<string, { code: ErrorCode; what: string; station: (l: ScopeLookups, id: string) => ReturnType<Lookup> }> = {
  stations: { code: 'STATION_UNKNOWN', what: 'station', station: (_l, id) => id },
  alerts: { code: 'ALERT_UNKNOWN', what: 'alert', station: (l, id) => l.alertStation(id) },
  incidents: { code: 'INCIDENT_UNKNOWN', what: 'incident', station: (l, id) => l.incidentStation(id) },
  drills: { code: 'NOT_FOUND', what: 'drill', station: (l, id) => l.drillStation(id) },
  devices: { code: 'NOT_FOUND', what: 'device', station: (l, id) => l.deviceStation(id) },
}

// Case-insensitive like express's routing; the id is the path segment a route's `:id` receives.
const NAMED_PATH = /^\/api\/(stations|alerts|incidents|drills|devices)\/([^/]+)/i

/**
 * The station scope (contract v2 §E) for every route that names a station, alert, incident, drill or
 * device in its path: one out of the principal's scope is answered like an unknown one (404, the
 * route's own code and message), so a scoped user cannot even learn that it exists. Mounted after
 * authentication; lists (`GET /api/stations`, alerts, drills, overview, `/ws`) filter with station-scope.ts.
 */
export function scopeGuard(lookups: ScopeLookups) {
  // Async: a lookup may read the state store (express 5 hands a rejection to the error handler).
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (!req.user?.stations) return next()
    const named = await stationNamedIn(lookups, req.path)
    if (named?.station !== undefined && !canSee(req.user, named.station)) {
      return next(new AppError(named.code, `no ${named.what} "${named.id}"`))
    }
    next()
  }
}

/**
 * The station a path names through its station, alert, incident, drill or device (`station`
 * undefined: no such thing); undefined when the path names none of them.
 */
export async function stationNamedIn(lookups: ScopeLookups, path: string): Promise<{ station: string | undefined; code: ErrorCode; what: string; id: string } | undefined> {
  const m = NAMED_PATH.exec(path)
  if (!m) return undefined
  const named = NAMED[m[1]!.toLowerCase()]!
  let id: string
  try {
    id = decodeURIComponent(m[2]!)
  } catch {
    return undefined
  }
  return { station: await named.station(lookups, id), code: named.code, what: named.what, id }
}
