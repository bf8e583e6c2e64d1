// The status board's pushes: one per station per burst, and for a busy station at most one per
// 100 ms, always ending with the latest state.
import { sleep } from '../../helpers/wait.ts'
import { describe, expect, test } from 'vitest'
import { EventHub } from '../../../src/event-hub.ts'
import { StatusBoard } from '../../../src/app/status-board.ts'
import { Fleet } from '../../../src/domain/fleet.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import type { StationStatus } from '../../../src/domain/station-status.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'


function board() {
  const fleet = new Fleet(['a', 'b'].map((id) => stationSchema.parse(fixtureStation(id).json)))
  const hub = new EventHub<{ statusChanged: [status: StationStatus] }>()
  const b = new StatusBoard({ fleet, hub })
  const pushes: { t: number; id: string; status: StationStatus }[] = []
  hub.on('statusChanged', (status) => pushes.push({ t: performance.now(), id: status.id, status }))
  return { fleet, b, pushes }
}

describe('StatusBoard pushes', () => {
  test('a burst of changes to a station is one push, after the burst', async () => {
    const { b, pushes } = board()
    b.touch('a')
    b.touch('a')
    b.touch('b')
    b.touch('a')
    expect(pushes).toHaveLength(0)
    await sleep(5)
    expect(pushes.map((p) => p.id).sort()).toEqual(['a', 'b'])
  })

  test('changes within 100 ms of a push are pushed together at its end, with the state as it is then; other stations are not held up', async () => {
    const { fleet, b, pushes } = board()
    b.touch('a')
    await sleep(5)
    const first = pushes[0]!
    fleet.stations.get('a')!.applyState('a-door-main', { type: 'door', ts: 1, seq: 1, open: true }, Date.now())
    b.touch('a')
    await sleep(5)
    b.touch('a')
    b.touch('b')
    await sleep(10)
    expect(pushes.map((p) => p.id)).toEqual(['a', 'b']) // b at once, a deferred
    await sleep(120)
    expect(pushes.map((p) => p.id)).toEqual(['a', 'b', 'a'])
    const second = pushes[2]!
    expect(second.t - first.t).toBeGreaterThanOrEqual(99)
    expect(second.t - first.t).toBeLessThan(180)
    expect(second.status.doors.find((d) => d.id === 'main')?.open).toBe(true)
    await sleep(150)
    expect(pushes).toHaveLength(3) // nothing more to say
  })

  test('a station that was pushed long ago is pushed at once again', async () => {
    const { b, pushes } = board()
    b.touch('a')
    await sleep(110)
    b.touch('a')
    await sleep(5)
    expect(pushes).toHaveLength(2)
  })
})
