import { describe, expect, it } from 'vitest'
import { Rng } from '../../simulator/prng.ts'
import { Plan, scaledRules, type Scenario } from '../../simulator/scenario.ts'
import { SCENARIOS } from '../../simulator/scenarios/index.ts'
import { synthesizeStations } from '../../simulator/synthetic-stations.ts'
import type { Rules, Station } from '../../simulator/station.ts'
import { judgePlan } from './helpers/contract-oracle.ts'
import { demoFleet } from './helpers/demo-fleet.ts'

function planOf(scenario: Scenario, station: Station, speed: number, seed: number): Plan {
  const p = new Plan(station, speed, new Rng(seed))
  scenario.plan(p)
  return p
}

/** The rules each case runs under: the scenario's own at that speed, and the station file's defaults. */
const cases: { speed: number; rules: (s: Scenario, speed: number) => Rules | undefined }[] = [
  { speed: 60, rules: (s, speed) => s.rules(speed) },
  { speed: 7200, rules: (s, speed) => s.rules(speed) },
  { speed: 60, rules: () => undefined },
  { speed: 1, rules: () => undefined },
]

describe('scenario timelines, judged by contract §6', () => {
  const { station } = demoFleet()

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: expects exactly the alerts its timeline must raise, clear of every threshold`, () => {
      for (const { speed, rules } of cases) {
        for (const seed of [1, 2, 3]) {
          const r = rules(scenario, speed)
          const plan = planOf(scenario, r ? { ...station, rules: r } : station, speed, seed)
          const { alerts, tooClose } = judgePlan(plan)
          const where = `${scenario.name} ×${speed} seed ${seed} ${r ? 'scenario rules' : 'default rules'}`
          expect(tooClose, where).toEqual([])
          const required = plan.expectedAlerts.filter((a) => !a.optional).map(({ rule, subject, state }) => ({ rule, subject, state }))
          const optional = new Set(plan.expectedAlerts.filter((a) => a.optional).map((a) => `${a.rule}|${a.subject}`))
          const judged = alerts.filter((a) => !optional.has(`${a.rule}|${a.subject}`))
          expect(sortAlerts(judged), where).toEqual(sortAlerts(required))
          for (const a of plan.expectedAlerts) expect(subjectExists(station, a.subject), `${where}: ${a.subject}`).toBe(true)
        }
      }
    })
  }

  it('normal-day really does things: keys, doors, stock used and restocked, items checked', () => {
    const plan = planOf(SCENARIOS.find((s) => s.name === 'normal-day')!, station, 60, 1)
    const kinds = plan.actions.map((a) => a.action.do)
    expect(kinds.filter((k) => k === 'take-key').length).toBeGreaterThanOrEqual(4)
    expect(kinds.filter((k) => k === 'door').length).toBeGreaterThanOrEqual(8)
    const counts = plan.actions.flatMap((a) => (a.action.do === 'items' ? Object.values(a.action.items) : []))
    expect(counts.some((v) => typeof v === 'number')).toBe(true)
    expect(plan.end).toBe(plan.hours(24))
  })

  it('plans for synthetic stations too, with subjects of that station', () => {
    const { stations } = synthesizeStations(station, 2, { rules: scaledRules(600) })
    for (const scenario of SCENARIOS) {
      const plan = planOf(scenario, stations[1]!, 600, 9)
      expect(plan.expectedAlerts.every((a) => a.station === 's0002')).toBe(true)
      expect(judgePlan(plan).tooClose).toEqual([])
    }
  })
})

function sortAlerts<T extends { rule: string; subject: string }>(a: T[]): T[] {
  return [...a].sort((x, y) => `${x.rule}|${x.subject}`.localeCompare(`${y.rule}|${y.subject}`))
}

function subjectExists(station: Station, subject: string): boolean {
  const [type, id] = subject.split(':')
  if (type === 'door') return station.doors.some((d) => d.id === id)
  if (type === 'key') return station.keys.some((k) => k.id === id)
  if (type === 'item') return station.equipment.some((i) => i.id === id)
  return station.devices.some((d) => d.id === id)
}
