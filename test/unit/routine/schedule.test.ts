import { describe, expect, it } from 'vitest'
import { pendingDue, runCountsFor } from '../../../src/routine/inspection-state.ts'
import { slotAfter, slotAtOrBefore, slotsBetween } from '../../../src/routine/schedule.ts'

const TZ = 'Asia/Shanghai'
/** Asia/Shanghai is UTC+8 all year. */
const sh = (local: string) => Date.parse(`${local}+08:00`)
const iso = (t: number) => new Date(t + 8 * 3_600_000).toISOString().slice(0, 16)

describe('due times in the station zone', () => {
  it('daily: today at the due time while it is ahead, else tomorrow, across a month and year end', () => {
    expect(iso(slotAfter(sh('2026-12-04T08:59'), 'day', '09:00', TZ))).toBe('2026-12-04T09:00')
    expect(iso(slotAfter(sh('2026-12-04T09:00'), 'day', '09:00', TZ))).toBe('2026-12-05T09:00')
    expect(iso(slotAfter(sh('2026-12-31T21:00'), 'day', '09:00', TZ))).toBe('2027-01-01T09:00')
    // 09:00 in Shanghai is 01:00 UTC, whatever the server's zone
    expect(new Date(slotAfter(sh('2026-12-04T08:00'), 'day', '09:00', TZ)).toISOString()).toBe('2026-12-04T01:00:00.000Z')
    // a local evening that is still the previous day in UTC
    expect(iso(slotAfter(Date.parse('2026-11-30T16:10:00Z'), 'day', '00:30', TZ))).toBe('2026-12-01T00:30')
  })

  it('weekly: the next named weekday, across a week, month and year end', () => {
    // 2026-12-04 is a Friday
    expect(iso(slotAfter(sh('2026-12-04T12:00'), 'week', 'mon 09:00', TZ))).toBe('2026-12-07T09:00')
    expect(iso(slotAfter(sh('2026-12-06T23:59'), 'week', 'mon 09:00', TZ))).toBe('2026-12-07T09:00')
    expect(iso(slotAfter(sh('2026-12-07T09:00'), 'week', 'mon 09:00', TZ))).toBe('2026-12-14T09:00')
    expect(iso(slotAfter(sh('2026-12-07T08:59'), 'week', 'mon 09:00', TZ))).toBe('2026-12-07T09:00')
    expect(iso(slotAfter(sh('2026-12-29T10:00'), 'week', 'mon 09:00', TZ))).toBe('2027-01-04T09:00')
    expect(iso(slotAfter(sh('2026-11-28T10:00'), 'week', 'sun 20:00', TZ))).toBe('2026-11-29T20:00')
    expect(iso(slotAfter(sh('2026-11-29T20:00'), 'week', 'sun 20:00', TZ))).toBe('2026-12-06T20:00')
  })

  it('monthly: the day of the month, the last day when the month is shorter, across a year end', () => {
    expect(iso(slotAfter(sh('2026-12-01T08:00'), 'month', '1 09:00', TZ))).toBe('2026-12-01T09:00')
    expect(iso(slotAfter(sh('2026-12-01T09:00'), 'month', '1 09:00', TZ))).toBe('2027-01-01T09:00')
    expect(iso(slotAfter(sh('2027-01-31T10:00'), 'month', '31 09:00', TZ))).toBe('2027-02-28T09:00')
    expect(iso(slotAfter(sh('2027-02-28T09:00'), 'month', '31 09:00', TZ))).toBe('2027-03-31T09:00')
    expect(iso(slotAfter(sh('2028-02-01T00:00'), 'month', '30 18:00', TZ))).toBe('2028-02-29T18:00')
  })

  it('steps back to the due time at or before an instant, and lists the due times of a month', () => {
    expect(iso(slotAtOrBefore(sh('2026-12-07T09:00'), 'week', 'mon 09:00', TZ))).toBe('2026-12-07T09:00')
    expect(iso(slotAtOrBefore(sh('2026-12-07T08:59'), 'week', 'mon 09:00', TZ))).toBe('2026-11-30T09:00')
    expect(iso(slotAtOrBefore(sh('2027-01-01T08:00'), 'month', '1 09:00', TZ))).toBe('2026-12-01T09:00')
    const mondays = slotsBetween(sh('2026-12-01T00:00'), sh('2027-01-01T00:00'), 'week', 'mon 09:00', TZ).map(iso)
    expect(mondays).toEqual(['2026-12-07T09:00', '2026-12-14T09:00', '2026-12-21T09:00', '2026-12-28T09:00'])
  })

  it('keeps wall-clock time across a daylight-saving change', () => {
    // Berlin moves to CEST on 2026-03-29: 09:00 is 08:00 UTC the day before and 07:00 UTC on the day
    expect(new Date(slotAfter(Date.parse('2026-03-28T12:00:00Z'), 'day', '09:00', 'Europe/Berlin')).toISOString()).toBe('2026-03-29T07:00:00.000Z')
  })
})

describe('which due time a run counts for', () => {
  const weekly = { every: 'week' as const, due: 'mon 09:00' }
  const since = sh('2026-12-04T12:00')

  it('waits for the first due time after the inspection was first seen', () => {
    expect(iso(pendingDue(weekly, TZ, since))).toBe('2026-12-07T09:00')
  })

  it('an early run counts for the coming due time; a second one in the same period is an extra', () => {
    const pending = pendingDue(weekly, TZ, since)
    const first = runCountsFor(sh('2026-12-06T10:00'), pending, weekly, TZ)
    expect(first).toEqual({ dueAt: pending, late: false })
    const next = pendingDue(weekly, TZ, since, { t: sh('2026-12-06T10:00'), dueAt: pending })
    expect(iso(next)).toBe('2026-12-14T09:00')
    expect(runCountsFor(sh('2026-12-06T18:00'), next, weekly, TZ)).toEqual({ late: false })
    expect(runCountsFor(sh('2026-12-07T09:00'), next, weekly, TZ)).toEqual({ late: false })
    expect(runCountsFor(sh('2026-12-07T09:01'), next, weekly, TZ)).toEqual({ dueAt: next, late: false })
  })

  it('a late run counts for the missed due time, and the next period starts after it', () => {
    const pending = pendingDue(weekly, TZ, since)
    const t = sh('2026-12-08T15:00')
    expect(runCountsFor(t, pending, weekly, TZ)).toEqual({ dueAt: pending, late: true })
    expect(iso(pendingDue(weekly, TZ, since, { t, dueAt: pending }))).toBe('2026-12-14T09:00')
  })
})
