import { describe, expect, it } from 'vitest'
import { overviewRows, worstFirst, worstSeverities } from '../../../src/domain/overview.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import type { StationStatus } from '../../../src/domain/station-status.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

const status = (id: string, level: StationStatus['level'], readiness: number, extra: Partial<StationStatus> = {}): StationStatus => ({
  id, name: `站 ${id}`, timezone: 'Asia/Shanghai', readiness, level, reasons: [], reasonCodes: [],
  doors: [], keys: [], equipment: [], devices: [], incident: null, activeAlerts: 0, ...extra,
})

describe('overview order (worst first)', () => {
  it('puts not-ready before degraded before ready, whatever the readiness', () => {
    const rows = overviewRows([status('a', 'ready', 100), status('b', 'degraded', 99), status('c', 'not-ready', 100)], [])
    expect(rows.map((r) => r.id)).toEqual(['c', 'b', 'a'])
  })

  it('within a level puts lower readiness first, then orders by id', () => {
    const rows = overviewRows([status('z', 'degraded', 80), status('m', 'degraded', 40), status('b', 'degraded', 80), status('a', 'degraded', 80)], [])
    expect(rows.map((r) => r.id)).toEqual(['m', 'a', 'b', 'z'])
  })

  it('is a total order: sorting any permutation gives one answer', () => {
    const rows = [status('s2', 'ready', 100), status('s1', 'ready', 100), status('s3', 'not-ready', 10), status('s4', 'not-ready', 10)]
    expect([...rows].sort(worstFirst).map((r) => r.id)).toEqual([...rows].reverse().sort(worstFirst).map((r) => r.id))
    expect(worstFirst(rows[0]!, rows[0]!)).toBe(0)
  })
})

describe('overview lines', () => {
  it('carry district only when the station has one, and the fields of the contract', () => {
    const [withD, without] = overviewRows([status('a', 'ready', 100, { district: '七里河街道', activeAlerts: 2 }), status('b', 'ready', 100)], [])
    expect(withD).toEqual({ id: 'a', name: '站 a', district: '七里河街道', level: 'ready', readiness: 100, activeAlerts: 2 })
    expect(without).not.toHaveProperty('district')
    expect(without).not.toHaveProperty('worstSeverity')
  })

  it('take the worst severity of unresolved real alerts; drills never count', () => {
    const worst = worstSeverities([
      { station: 'a', severity: 'info' },
      { station: 'a', severity: 'critical' },
      { station: 'a', severity: 'warning' },
      { station: 'b', severity: 'critical', drill: true },
      { station: 'b', severity: 'warning' },
      { station: 'c', severity: 'critical', drill: true },
    ])
    expect(Object.fromEntries(worst)).toEqual({ a: 'critical', b: 'warning' })
    const rows = overviewRows([status('a', 'ready', 100), status('c', 'ready', 100)], [{ station: 'c', severity: 'critical', drill: true }, { station: 'a', severity: 'info' }])
    expect(rows).toMatchObject([{ id: 'a', worstSeverity: 'info' }, { id: 'c' }])
    expect(rows[1]).not.toHaveProperty('worstSeverity')
  })
})

describe('district in the station file', () => {
  it('is optional text, and an empty one is refused naming the field', () => {
    const json = fixtureStation('d1').json
    expect(stationSchema.parse(json).district).toBeUndefined()
    expect(stationSchema.parse({ ...json, district: '七里河街道' }).district).toBe('七里河街道')
    const bad = stationSchema.safeParse({ ...json, district: '' })
    expect(bad.success).toBe(false)
    expect(bad.error!.issues[0]!.path).toEqual(['district'])
  })
})
