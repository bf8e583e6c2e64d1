import type { Rules } from '../../../src/domain/station.ts'
import type { TestService } from '../../helpers/service.ts'
import { fixtureStation, type FixtureStation } from '../../helpers/station-fixture.ts'

/** Asia/Shanghai is UTC+8 all year: `sh('2026-12-07T09:00')` is 01:00 UTC that day. */
export const sh = (local: string) => Date.parse(`${local}+08:00`)

/** The fixture station with a weekly (Monday 09:00) and a monthly (1st, 09:00) inspection. */
export function routineStation(id = 'routinestation', rules: Partial<Rules> = {}): FixtureStation {
  const st = fixtureStation(id, rules)
  st.json.inspections = [
    {
      id: 'weekly',
      name: '每周巡检',
      every: 'week',
      due: 'mon 09:00',
      items: [
        { id: 'doors', text: '两扇门开关正常' },
        { id: 'spreader', text: '液压破拆工具在位、油量正常' },
        { id: 'extinguisher', text: '灭火器压力在绿区' },
      ],
    },
    { id: 'monthly', name: '月度检查', every: 'month', due: '1 09:00', items: [{ id: 'water', text: '饮用水在保质期内' }] },
  ]
  return st
}

export async function submitRun(t: TestService, inspection: string, results: Record<string, { ok: boolean; note?: string }>, token = t.token) {
  return t.api(`/api/stations/${t.station.id}/inspections/${inspection}/runs`, { method: 'POST', body: { results }, token })
}
