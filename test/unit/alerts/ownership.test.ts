import { expect, test } from 'vitest'
import { EngineRig, MemoryAlertStore, RULES } from './engine-rig.ts'

/**
 * Cluster mode's side of the engine (src/wiring/cluster/ownership.ts and live-view.ts call it):
 * it judges and times owned stations only, forgets a station it releases, takes one it adopts
 * up from the store, and follows changes made to its alerts through another instance.
 */
const open = (rig: EngineRig) => rig.engine.openAlerts().map((a) => `${a.station} ${a.rule} ${a.state}${a.escalated ? ' escalated' : ''}`)
const changes = (rig: EngineRig) => rig.changes.map((c) => `${c.alert.station} ${c.alert.rule} ${c.change}`)

test('released, a station\'s alerts and timers go; adopted, they come back from the store, and a missed escalation comes at once', async () => {
  const owned = new Set(['s1'])
  const rig = await EngineRig.create(['s1', 's2'], new MemoryAlertStore(), RULES, { owns: (s) => owned.has(s) })
  rig.calm('s1')
  rig.calm('s2')
  rig.door('s1', true) // no key out: forced, critical
  rig.door('s2', true) // the same at a station owned elsewhere: not judged here
  expect(open(rig)).toEqual(['s1 door-forced active'])
  expect(rig.engine.pendingDeadlines).toBeGreaterThan(0)

  owned.delete('s1')
  rig.engine.release('s1')
  expect(open(rig)).toEqual([])
  expect(rig.engine.unresolvedCount('s1')).toBe(0)
  expect(rig.engine.pendingDeadlines).toBe(0)
  rig.advance(RULES.escalateAfterSeconds! + 10)
  expect(changes(rig)).toEqual(['s1 door-forced opened'])

  owned.add('s1')
  await rig.engine.adopt('s1')
  rig.advance(0)
  // The same alert, not a new one for the same occurrence, escalated now that its time has passed.
  expect(open(rig)).toEqual(['s1 door-forced active escalated'])
  expect(changes(rig)).toEqual(['s1 door-forced opened', 's1 door-forced escalated'])
  expect(rig.engine.forcedDoors('s1').size).toBe(1)
})

test('an acknowledgement and a resolve made through another instance are followed: no escalation, then the alert is gone', async () => {
  const store = new MemoryAlertStore()
  const owner = await EngineRig.create(['s1'], store)
  const other = await EngineRig.create(['s1'], store, RULES, { owns: () => false })
  owner.calm('s1')
  owner.door('s1', true)
  const [forced] = owner.engine.openAlerts()

  const acked = await other.engine.acknowledge(forced!.id, 'ana')
  owner.engine.follow(acked)
  owner.advance(RULES.escalateAfterSeconds! + 10)
  expect(open(owner)).toEqual(['s1 door-forced acknowledged'])
  expect(changes(owner)).toEqual(['s1 door-forced opened'])

  owner.engine.follow(await other.engine.resolve(forced!.id, 'ana'))
  expect(open(owner)).toEqual([])
  expect(owner.engine.unresolvedCount('s1')).toBe(0)
  // Not written back by the owner as it held it: the store keeps the other instance's resolve.
  expect((await store.getAlert(forced!.id))?.state).toBe('resolved')
})

test('adopted, a station comes with the incident its previous owner opened, and an incident it closed is closed here too', async () => {
  const store = new MemoryAlertStore()
  const first = await EngineRig.create(['s1', 's2'], store)
  const next = await EngineRig.create(['s1', 's2'], store, RULES, { owns: () => false })
  const incident = first.engine.startIncident('s1', 'ana')
  await store.durable()
  expect(next.engine.openIncident('s1')).toBeNull()

  await next.engine.adopt(['s1', 's2'])
  expect(next.engine.openIncident('s1')?.id).toBe(incident.id)
  expect(next.engine.openIncident('s2')).toBeNull()

  await first.engine.closeIncident(incident.id, 'ana')
  await store.durable()
  await next.engine.adopt(['s1'])
  expect(next.engine.openIncident('s1')).toBeNull()
})
