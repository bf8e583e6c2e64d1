// "Worst first" (contract v2 §E), as the service orders GET /api/overview: not-ready, then degraded,
// then ready; then lower readiness; then id. The dashboard orders the statuses it has from /ws.

/** @typedef {import('./api.js').StationStatus} StationStatus */
/** @typedef {import('./api.js').Alert} Alert */
/** @typedef {'info' | 'warning' | 'critical'} Severity */

const LEVEL_RANK = { 'not-ready': 0, degraded: 1, ready: 2 }
const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 }

/**
 * @param {Pick<StationStatus, 'id' | 'level' | 'readiness'>} a
 * @param {Pick<StationStatus, 'id' | 'level' | 'readiness'>} b
 */
export function worstFirst(a, b) {
  return LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || a.readiness - b.readiness || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * The worst severity per station among open alerts; drills never count.
 * @param {Iterable<Alert>} alerts
 * @returns {Map<string, Severity>}
 */
export function worstSeverities(alerts) {
  /** @type {Map<string, Severity>} */
  const worst = new Map()
  for (const a of alerts) {
    if (a.drill || a.state === 'resolved') continue
    const before = worst.get(a.station)
    if (before === undefined || SEVERITY_RANK[a.severity] > SEVERITY_RANK[before]) worst.set(a.station, a.severity)
  }
  return worst
}

/**
 * Stations worst first, in groups by district; a group's place is that of its worst station, and
 * stations without a district are a group of their own (`district` undefined).
 * @param {Iterable<StationStatus>} stations
 * @returns {{ district: string | undefined, stations: StationStatus[] }[]}
 */
export function groupByDistrict(stations) {
  /** @type {Map<string | undefined, StationStatus[]>} */
  const groups = new Map()
  for (const s of [...stations].sort(worstFirst)) {
    const list = groups.get(s.district)
    if (list) list.push(s)
    else groups.set(s.district, [s])
  }
  return [...groups].map(([district, list]) => ({ district, stations: list }))
}
