import { rmSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { EmbeddedStateStore } from '../../../src/adapters/embedded/state-store.ts'
import { publicAlert } from '../../../src/alerts/alert.ts'
import type { StationConfig } from '../../../src/domain/station.ts'
import { DrillService } from '../../../src/routine/drills.ts'
import { InspectionService } from '../../../src/routine/inspections.ts'
import { slowed } from '../../helpers/slow-store.ts'
import { tempDir } from '../../helpers/station-fixture.ts'
import { EngineRig } from '../alerts/engine-rig.ts'

/**
 * Requests that read the state store, decide and write, at the same moment, over a store whose
 * reads answer on a later turn (test/helpers/slow-store.ts): each must still be decided as if they
 * came one after the other.
 */
describe('routine steps at the same moment over a store that answers later', () => {
  let dir: string
  let state: EmbeddedStateStore
  let rig: EngineRig
  let station: StationConfig
  let n = 0
  const newId = () => `id${++n}`

  beforeEach(async () => {
    dir = tempDir('sw-concurrent-')
    state = new EmbeddedStateStore({ dataDir: dir })
    rig = await EngineRig.create(['s1'])
    rig.calm('s1')
    station = {
      ...rig.fleet.stations.get('s1')!.model.config,
      inspections: [{ id: 'weekly', name: 'weekly', every: 'week', due: 'mon 09:00', items: [{ id: 'doors', text: 'doors' }] }],
    }
  })
  afterEach(async () => {
    await state.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const drillsOver = () => {
    const alerts = {
      raise: rig.engine.raise.bind(rig.engine),
      acknowledge: rig.engine.acknowledge.bind(rig.engine),
      resolve: rig.engine.resolve.bind(rig.engine),
      getAlert: async (id: string) => {
        const a = await slowed(rig.store).getAlert(id)
        return a ? publicAlert(a) : undefined
      },
    }
    return new DrillService(new Map([['s1', station]]), slowed(state.routine), alerts, rig.time, newId)
  }

  test('two drills started at once at one station: one starts, the other is a conflict', async () => {
    const drills = drillsOver()
    const results = await Promise.allSettled([drills.start('s1', {}, 'li'), drills.start('s1', {}, 'zhou')])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(await drills.list({ station: 's1', limit: 10 })).toHaveLength(1)
  })

  test('two people acknowledge one drill at once: both responses are kept; two ends at once: one ends it', async () => {
    const drills = drillsOver()
    const drill = await drills.start('s1', {}, 'li')
    rig.advance(30)
    const acks = await Promise.allSettled([drills.acknowledge(drill.alertId, 'li'), drills.acknowledge(drill.alertId, 'zhou')])
    expect(acks.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled'])
    const [stored] = await drills.list({ station: 's1', limit: 10 })
    expect(stored!.responses.map((r) => r.user).sort()).toEqual(['li', 'zhou'])
    const ends = await Promise.allSettled([drills.end(drill.id, 'li'), drills.end(drill.id, 'zhou')])
    expect(ends.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  })

  test('two runs of one inspection at once: one counts for the due time, the other is an extra', async () => {
    const inspections = new InspectionService([station], slowed(state.routine), rig.engine, rig.time, rig.time, newId)
    await inspections.start()
    const due = inspections.nextDueAt(station, station.inspections[0]!)
    const runs = [inspections.submit('s1', 'weekly', { doors: { ok: true } }, 'li'), inspections.submit('s1', 'weekly', { doors: { ok: true } }, 'zhou')]
    expect(runs.map((r) => r.dueAt)).toEqual([due, undefined])
    expect((await inspections.runs('s1', 'weekly')).map((r) => r.by).sort()).toEqual(['li', 'zhou'])
  })

  test('cluster mode: a run recorded through another instance (the station\'s owner) is in this one\'s view, not overdue', async () => {
    const owner = new InspectionService([station], state.routine, rig.engine, rig.time, rig.time, newId)
    const other = new InspectionService([station], state.routine, rig.engine, rig.time, rig.time, newId)
    await Promise.all([owner.start(), other.start()])
    const due = owner.nextDueAt(station, station.inspections[0]!)
    rig.advance((due - rig.time.now()) / 1000 + 60)
    expect((await other.view('s1'))[0]).toMatchObject({ overdue: true, nextDueAt: due })
    expect(owner.submit('s1', 'weekly', { doors: { ok: true } }, 'li').dueAt).toBe(due)
    await state.committed()
    const [seen] = await other.view('s1')
    expect(seen).toMatchObject({ overdue: false, lastDoneBy: 'li' })
    expect(seen!.nextDueAt).toBeGreaterThan(due)
    owner.stop()
    other.stop()
  })
})
