/**
 * When an inspection is due: its due times ("slots") are wall-clock times in the station's zone —
 * every day at 09:00, every Monday at 09:00, the 1st of every month at 09:00 — turned into instants
 * whatever the server's own zone. A monthly day past the month's end (`31 09:00`) falls on its last day.
 */
import { DUE_FORMATS, type InspectionConfig } from '../domain/station.ts'
import { addDays, localDate, zoneOffset } from '../ledger/local-days.ts'

type Every = InspectionConfig['every']
interface Due { every: Every; weekday: number; monthDay: number; h: number; mi: number }

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

export function parseDue(every: Every, due: string): Due {
  const m = DUE_FORMATS[every].exec(due)
  if (!m) throw new Error(`due "${due}" does not fit every "${every}"`)
  const [h, mi] = [Number(m[m.length - 2]), Number(m[m.length - 1])]
  return { every, weekday: every === 'week' ? WEEKDAYS.indexOf(m[1]!) : 0, monthDay: every === 'month' ? Number(m[1]) : 0, h, mi }
}

/** The instant of wall-clock `h:mi` on local `date` in `tz`. */
export function localTime(date: string, h: number, mi: number, tz: string): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number]
  const guess = Date.UTC(y, mo - 1, d, h, mi)
  // Twice: the offset at the first estimate may differ from the one at the answer (a DST change).
  let t = guess - zoneOffset(guess, tz)
  t = guess - zoneOffset(t, tz)
  return t
}

/** The first due time strictly after `t`. */
export function slotAfter(t: number, every: Every, due: string, tz: string): number {
  const d = parseDue(every, due)
  const today = localDate(t, tz)
  const at = (date: string) => localTime(date, d.h, d.mi, tz)
  if (d.every === 'day') {
    const c = at(today)
    return c > t ? c : at(addDays(today, 1))
  }
  if (d.every === 'week') {
    const wd = new Date(`${today}T00:00:00Z`).getUTCDay()
    const ahead = (d.weekday - wd + 7) % 7
    const c = at(addDays(today, ahead))
    return c > t ? c : at(addDays(today, ahead + 7))
  }
  const [y, mo] = today.split('-').map(Number) as [number, number]
  const c = at(monthDate(y, mo, d.monthDay))
  return c > t ? c : at(monthDate(mo === 12 ? y + 1 : y, mo === 12 ? 1 : mo + 1, d.monthDay))
}

/** The last due time at or before `t`. */
export function slotAtOrBefore(t: number, every: Every, due: string, tz: string): number {
  // Step back far enough to be before the previous slot (a month is at most 31 days), then walk forward.
  let s = slotAfter(t - 32 * 86_400_000, every, due, tz)
  for (let next = slotAfter(s, every, due, tz); next <= t; next = slotAfter(s, every, due, tz)) s = next
  return s
}

/** Due times in [from, to). */
export function slotsBetween(from: number, to: number, every: Every, due: string, tz: string): number[] {
  const out: number[] = []
  for (let s = slotAfter(from - 1, every, due, tz); s < to; s = slotAfter(s, every, due, tz)) out.push(s)
  return out
}

function monthDate(y: number, mo: number, day: number): string {
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  return `${y}-${String(mo).padStart(2, '0')}-${String(Math.min(day, last)).padStart(2, '0')}`
}
