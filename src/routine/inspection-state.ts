import type { InspectionConfig } from '../domain/station.ts'
import { slotAfter, slotAtOrBefore } from './schedule.ts'

/**
 * Which due time an inspection waits for. A run counts for the due time it precedes, if it falls
 * in that due time's own period (after the due time before it); a run after the awaited due time
 * counts for it, late, and the next period starts afresh after the run (so one late walk-round is
 * not also next week's). A second run in a period already done is an extra and counts for nothing.
 */
export function pendingDue(insp: Pick<InspectionConfig, 'every' | 'due'>, tz: string, since: number, lastCounted?: { t: number; dueAt?: number }): number {
  if (!lastCounted || lastCounted.dueAt === undefined) return slotAfter(since, insp.every, insp.due, tz)
  return slotAfter(Math.max(lastCounted.t, lastCounted.dueAt), insp.every, insp.due, tz)
}

/** What a run at `t` counts for, when the inspection waits for `pending`. */
export function runCountsFor(t: number, pending: number, insp: Pick<InspectionConfig, 'every' | 'due'>, tz: string): { dueAt?: number; late: boolean } {
  if (t > pending) return { dueAt: pending, late: true }
  const previous = slotAtOrBefore(pending - 1, insp.every, insp.due, tz)
  return t > previous ? { dueAt: pending, late: false } : { late: false }
}
