import { expect, test } from 'vitest'
import type { ExternalCondition } from '../../../src/alerts/alert-engine.ts'
import { EngineRig } from './engine-rig.ts'

const low = (item: string, occurrence: number): ExternalCondition => ({ rule: 'stock-low', subject: `item:${item}`, severity: 'warning', occurrence, message: `${item} is low` })
const open = (rig: EngineRig, subject: string) => rig.engine.openAlerts().filter((a) => a.rule === 'stock-low' && a.subject === subject)

test("a reconcile scoped to some subjects leaves the same rule's alerts on other subjects alone", async () => {
  const rig = await EngineRig.create(['s1'])
  rig.calm('s1')
  rig.items('s1', { water: 10 })
  const [water] = open(rig, 'item:water')
  expect(water).toMatchObject({ state: 'active' })
  const ledgers = new Set(['item:bandages'])

  rig.engine.reconcile('s1', ['stock-low'], [low('bandages', 1)], ledgers)
  expect(open(rig, 'item:bandages')).toHaveLength(1)
  expect(open(rig, 'item:water')).toEqual([water])
  // a condition outside the scope is not the caller's to raise
  rig.engine.reconcile('s1', ['stock-low'], [low('bandages', 1), low('water', 1)], ledgers)
  expect(open(rig, 'item:water')).toEqual([water])

  rig.engine.reconcile('s1', ['stock-low'], [], ledgers)
  expect(open(rig, 'item:bandages')).toEqual([])
  expect(open(rig, 'item:water')).toEqual([water])
  // unscoped, the same call would have taken the device's alert too
  rig.engine.reconcile('s1', ['stock-low'], [])
  expect(open(rig, 'item:water')).toEqual([])
})

test('an open alert takes the occurrence it is reconciled with: resolved by hand after a restart, it stays resolved', async () => {
  const rig = await EngineRig.create(['s1'])
  const ledgers = new Set(['item:bandages'])
  rig.engine.reconcile('s1', ['stock-low'], [low('bandages', 1_000)], ledgers)
  await rig.boot()
  // the judge after a restart dates the spell anew: the open alert stands, nothing is duplicated
  rig.engine.reconcile('s1', ['stock-low'], [low('bandages', 5_000)], ledgers)
  const [a] = open(rig, 'item:bandages')
  expect(a).toBeDefined()
  expect(rig.changes.filter((c) => c.change === 'opened')).toHaveLength(1)
  await rig.engine.resolve(a!.id, 'stan')
  rig.engine.reconcile('s1', ['stock-low'], [low('bandages', 5_000)], ledgers)
  expect(open(rig, 'item:bandages')).toEqual([])
  // a new spell is a new alert
  rig.engine.reconcile('s1', ['stock-low'], [], ledgers)
  rig.engine.reconcile('s1', ['stock-low'], [low('bandages', 9_000)], ledgers)
  expect(open(rig, 'item:bandages')).toHaveLength(1)
})
