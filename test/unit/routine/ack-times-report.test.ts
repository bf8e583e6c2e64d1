import { describe, expect, it } from 'vitest'
import { stationSchema } from '../../../src/domain/station.ts'
import { ackTimes, figures } from '../../../src/routine/ack-times.ts'
import { monthBounds, monthlyReport } from '../../../src/routine/monthly-report.ts'

const sh = (local: string) => Date.parse(`${local}+08:00`)

describe('time-to-acknowledge figures', () => {
  it('median is the middle value, or the mean of the middle two; worst is the largest', () => {
    expect(figures([])).toEqual({ count: 0, medianSeconds: null, worstSeconds: null })
    expect(figures([300, 45, 120])).toEqual({ count: 3, medianSeconds: 120, worstSeconds: 300 })
    expect(figures([10, 40, 20, 90])).toEqual({ count: 4, medianSeconds: 30, worstSeconds: 90 })
  })

  it('keeps real alerts and drills apart and counts the unacknowledged', () => {
    const r = ackTimes(
      { from: 0, to: 1 },
      [
        { station: 'a', rule: 'door-forced', openedAt: 0, ackedAt: 45_000, ackedBy: 'li' },
        { station: 'b', rule: 'tamper', openedAt: 0, ackedAt: 15_000, ackedBy: 'zhou' },
        { station: 'a', rule: 'key-overdue', openedAt: 0 },
      ],
      [{ station: 'a', rule: 'door-forced', responses: [{ user: 'li', secondsToAck: 12 }] }, { station: 'a', rule: 'door-forced', responses: [] }],
    )
    expect(r.real).toMatchObject({ count: 2, medianSeconds: 30, worstSeconds: 45, unacknowledged: 1 })
    expect(r.real.byStation).toEqual({ a: { count: 1, medianSeconds: 45, worstSeconds: 45 }, b: { count: 1, medianSeconds: 15, worstSeconds: 15 } })
    expect(r.drill).toMatchObject({ count: 1, medianSeconds: 12, unacknowledged: 1 })
  })
})

describe('the monthly report figures', () => {
  const station = stationSchema.parse({
    id: 's',
    name: '站',
    doors: [],
    keys: [],
    equipment: [],
    devices: [],
    inspections: [{ id: 'w', name: '周检', every: 'week', due: 'mon 09:00', items: [{ id: 'a', text: 'A' }] }],
  })

  it('bounds a month at local midnights', () => {
    expect(monthBounds('2026-12', 'Asia/Shanghai')).toEqual({ from: Date.parse('2026-11-30T16:00:00Z'), to: Date.parse('2026-12-31T16:00:00Z') })
  })

  it('judges each day by the real alerts open, and each due time done, late, missed or pending', () => {
    const r = monthlyReport({
      station,
      month: '2026-12',
      now: sh('2026-12-16T12:00'),
      alerts: [
        // critical from 22:00 on the 1st to 02:00 on the 2nd; a warning inside it adds no extra critical time
        { station: 's', rule: 'door-forced', severity: 'critical', openedAt: sh('2026-12-01T22:00'), resolvedAt: sh('2026-12-02T02:00') },
        { station: 's', rule: 'key-overdue', severity: 'warning', openedAt: sh('2026-12-01T23:00'), resolvedAt: sh('2026-12-01T23:30') },
        // opened in November and still open: the 16th counts up to now
        { station: 's', rule: 'stock-low', severity: 'warning', openedAt: sh('2026-11-20T00:00') },
      ],
      inspections: [{ inspection: station.inspections[0]!, since: sh('2026-11-01T00:00'), runs: [
        { id: '1', station: 's', inspection: 'w', t: sh('2026-12-06T10:00'), by: 'li', results: { a: { ok: true } }, dueAt: sh('2026-12-07T09:00'), late: false },
        { id: '2', station: 's', inspection: 'w', t: sh('2026-12-14T11:00'), by: 'li', results: { a: { ok: false, note: '坏' } }, dueAt: sh('2026-12-14T09:00'), late: true },
      ] }],
      movements: [],
      drills: [],
      trainings: [],
    })
    expect(r.readiness).toHaveLength(16)
    expect(r.readiness[0]).toMatchObject({ date: '2026-12-01', criticalHours: 2, warningHours: 24, level: 'not-ready', alertsOpened: 2 })
    expect(r.readiness[1]).toMatchObject({ date: '2026-12-02', criticalHours: 2, level: 'not-ready' })
    expect(r.readiness[15]).toMatchObject({ date: '2026-12-16', warningHours: 12, level: 'degraded' })
    expect(r.alertsByRule.map((l) => l.rule)).toEqual(['door-forced', 'key-overdue'])
    expect(r.inspections.map((i) => [new Date(i.dueAt + 8 * 3_600_000).toISOString().slice(5, 10), i.status, i.failedItems])).toEqual([
      ['12-07', 'done', []],
      ['12-14', 'late', ['A：坏']],
      ['12-21', 'pending', []],
      ['12-28', 'pending', []],
    ])
  })
})
