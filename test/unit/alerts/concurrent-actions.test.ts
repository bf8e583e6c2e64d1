import { expect, test } from 'vitest'
import { EngineRig } from './engine-rig.ts'

// The store's reads are Promises now: these check that a responder action still decides and
// changes the alert in one step, whatever else is in flight.

test('two acknowledgements of one alert at once: one succeeds, the other is a conflict; the alert is saved acknowledged once', async () => {
  const rig = await EngineRig.create(['s1'])
  rig.calm('s1')
  rig.door('s1', true)
  const forced = rig.engine.openAlerts().find((a) => a.rule === 'door-forced')!
  const saves = rig.store.saves
  const results = await Promise.allSettled([rig.engine.acknowledge(forced.id, 'li'), rig.engine.acknowledge(forced.id, 'zhou')])
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/already acknowledged/)
  expect(rig.store.saves - saves).toBe(1)
  expect(rig.changes.filter((c) => c.change === 'acknowledged')).toHaveLength(1)
})

test('an acknowledgement and a resolve at once, and a resolve of an alert resolved while its stored copy is read: never two resolves', async () => {
  const rig = await EngineRig.create(['s1'])
  rig.calm('s1')
  rig.door('s1', true)
  const forced = rig.engine.openAlerts().find((a) => a.rule === 'door-forced')!
  const results = await Promise.allSettled([rig.engine.resolve(forced.id, 'li'), rig.engine.resolve(forced.id, 'zhou'), rig.engine.acknowledge(forced.id, 'wang')])
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  expect(rig.changes.filter((c) => c.alert.id === forced.id && c.change === 'resolved')).toHaveLength(1)
  // Resolved now: only the store knows it; both answers are conflicts, not "unknown".
  const again = await Promise.allSettled([rig.engine.resolve(forced.id, 'li'), rig.engine.acknowledge(forced.id, 'li')])
  expect(again.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([expect.stringMatching(/already resolved/), expect.stringMatching(/already resolved/)])
  await expect(rig.engine.acknowledge('no-such-alert', 'li')).rejects.toThrow(/no alert/)
})
