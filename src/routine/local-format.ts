import { wallClock } from '../ledger/local-days.ts'

/** `2026-12-07 09:00` in the station's zone (messages and the report speak local time). */
export function formatLocal(t: number, tz: string): string {
  const w = wallClock(t, tz)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${w.y}-${p(w.mo)}-${p(w.d)} ${p(w.h)}:${p(w.mi)}`
}
