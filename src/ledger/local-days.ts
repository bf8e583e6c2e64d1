/**
 * Calendar days in a station's time zone. Expiry dates are local dates (`YYYY-MM-DD`): a batch
 * that expires on the 5th is good all of the 5th, local time, and expired from the local midnight
 * that starts the 6th — whatever the server's own zone.
 */

export type IsoDate = string

const DAY_MS = 86_400_000
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    formatters.set(tz, f)
  }
  return f
}

/** The local wall-clock fields of instant `t` in `tz`. */
export function wallClock(t: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {}
  for (const p of formatter(tz).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! }
}

/** How far local time in `tz` is ahead of UTC at instant `t`, in ms. */
export function zoneOffset(t: number, tz: string): number {
  const w = wallClock(t, tz)
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000
}

/** The local date of instant `t` in `tz`. */
export function localDate(t: number, tz: string): IsoDate {
  const w = wallClock(t, tz)
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}`
}

/** The instant of local midnight starting `date` in `tz`. */
export function localMidnight(date: IsoDate, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const guess = Date.UTC(y, m - 1, d)
  // Twice: the offset at the first estimate may differ from the one at midnight (a DST change that day).
  let t = guess - zoneOffset(guess, tz)
  t = guess - zoneOffset(t, tz)
  return t
}

/** `date` plus `days` (negative to go back). */
export function addDays(date: IsoDate, days: number): IsoDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10)
}

/** Whole days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS)
}

/** The next local midnight in `tz` strictly after `t`. */
export function nextLocalMidnight(t: number, tz: string): number {
  return localMidnight(addDays(localDate(t, tz), 1), tz)
}

/** A real calendar date written as `YYYY-MM-DD`. */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const t = Date.parse(`${s}T00:00:00Z`)
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
