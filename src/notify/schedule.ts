import type { NotifyConfig, OnCallWindow, Person, Route, Step } from './config.ts'
import type { Severity } from '../alerts/alert.ts'

/** Weekday (Sunday = 0) and minute of the day at instant `t` in time zone `tz`. */
export function localTime(t: number, tz: string): { weekday: number; minute: number; second: number } {
  const parts = formatter(tz).formatToParts(new Date(t))
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'))
  const hour = Number(get('hour')) % 24
  return { weekday, minute: hour * 60 + Number(get('minute')), second: Number(get('second')) }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    formatters.set(tz, f)
  }
  return f
}

export const toMinute = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** from == to is the whole day; from after to wraps past midnight. `to` itself is outside. */
export function inWindow(minute: number, from: string, to: string): boolean {
  const f = toMinute(from)
  const e = toMinute(to)
  if (f === e) return true
  return f < e ? minute >= f && minute < e : minute >= f || minute < e
}

/**
 * The weekday a window occurrence belongs to is the day it started: a fri 22:00–06:00 window
 * covers Saturday 03:00, and a mon-fri 22:00–06:00 window does not cover Monday 03:00.
 */
function windowCovers(w: OnCallWindow, weekday: number, minute: number): boolean {
  if (!inWindow(minute, w.from, w.to)) return false
  const wraps = toMinute(w.from) > toMinute(w.to)
  const startDay = wraps && minute < toMinute(w.to) ? (weekday + 6) % 7 : weekday
  return w.weekdays.has(startDay)
}

const stationMatches = (list: string[], station: string) => list.includes('*') || list.includes(station)

/** Who is on call at station `station` at instant `t`, in the order the roster names them. */
export function onCallAt(config: NotifyConfig, station: string, t: number, tz: string): Person[] {
  const { weekday, minute } = localTime(t, tz)
  const ids: string[] = []
  for (const w of config.onCall) {
    if (!stationMatches(w.stations, station) || !windowCovers(w, weekday, minute)) continue
    for (const p of w.people) if (!ids.includes(p)) ids.push(p)
  }
  return ids.flatMap((id) => config.people.get(id) ?? [])
}

/** The people a step addresses (none: the step's channels are group channels). */
export function recipients(config: NotifyConfig, step: Step, station: string, t: number, tz: string): Person[] {
  if (!step.to) return []
  if (step.to === 'on-call') return onCallAt(config, station, t, tz)
  return step.to.flatMap((id) => config.people.get(id) ?? [])
}

/** The first route that matches the station and severity, as a config author reads top to bottom. */
export function routeFor(config: NotifyConfig, station: string, severity: Severity): { route: Route; index: number } | undefined {
  const index = config.routes.findIndex((r) => stationMatches(r.stations, station) && r.severities.includes(severity))
  const route = config.routes[index]
  return route ? { route, index } : undefined
}

/**
 * Firing `k` of a route: k < steps.length is step k; after that, the last step repeats every
 * repeatEverySeconds. Returns the step index and when it is due, or undefined when nothing more
 * fires.
 */
export function firing(route: Route, openedAt: number, k: number): { step: number; dueAt: number } | undefined {
  const last = route.steps.length - 1
  if (k <= last) return { step: k, dueAt: openedAt + route.steps[k]!.afterSeconds * 1000 }
  if (!route.repeatEverySeconds) return undefined
  const lastAt = openedAt + route.steps[last]!.afterSeconds * 1000
  return { step: last, dueAt: lastAt + (k - last) * route.repeatEverySeconds * 1000 }
}

/**
 * Quiet hours hold warning and info, never critical. Returns when the hold ends (the first minute
 * past the window), or undefined when `t` is not held.
 */
export function quietUntil(route: Route, severity: Severity, t: number, tz: string): number | undefined {
  const q = route.quietHours
  if (!q || severity === 'critical') return undefined
  const { minute, second } = localTime(t, tz)
  if (!inWindow(minute, q.from, q.to) || q.from === q.to) return undefined
  const minutesLeft = (toMinute(q.to) - minute + 1440) % 1440
  // Whole minutes in the zone's wall time; a DST jump inside the window shifts the release by its size.
  return t - second * 1000 - (t % 1000) + minutesLeft * 60_000
}
