import { describe, expect, test } from 'vitest'
import { FLAP_OPENS, FLAP_QUIET_MS, FLAP_WINDOW_MS, FlapDamping } from '../../../src/alerts/flap-damping.ts'
import { EngineRig } from './engine-rig.ts'

const WATER = 'item:water'

async function rigAtCalm(): Promise<EngineRig> {
  const rig = await EngineRig.create(['s1'])
  rig.calm('s1')
  rig.changes.length = 0
  return rig
}

function waterChanges(rig: EngineRig) {
  return rig.changes.filter((c) => c.alert.rule === 'stock-low' && c.alert.subject === WATER)
}

/** One toggle of the counted supply below and back above its minimum (24), a second apart. */
function toggleWater(rig: EngineRig, times: number): void {
  for (let i = 0; i < times; i++) {
    rig.items('s1', { water: 10 })
    rig.advance(1)
    rig.items('s1', { water: 30 })
    rig.advance(1)
  }
}

describe('flap damping', () => {
  test('the fourth open within the window stays open, says it is flapping, and writes nothing more while the subject toggles', async () => {
    const rig = await rigAtCalm()
    toggleWater(rig, 3)
    expect(waterChanges(rig).map((c) => c.change)).toEqual(['opened', 'resolved', 'opened', 'resolved', 'opened', 'resolved'])
    expect(waterChanges(rig).every((c) => c.alert.flapping === undefined)).toBe(true)

    const savesBefore = rig.store.saves
    toggleWater(rig, 500)
    const changes = waterChanges(rig)
    expect(changes.map((c) => c.change)).toEqual(['opened', 'resolved', 'opened', 'resolved', 'opened', 'resolved', 'opened'])
    const flapping = changes.at(-1)!.alert
    expect(flapping.flapping).toBe(true)
    expect(flapping.message).toMatch(/flapping/)
    // One save for the flapping open; the 999 readings after it wrote nothing.
    expect(rig.store.saves - savesBefore).toBe(1)
    expect(rig.engine.openAlerts().filter((a) => a.subject === WATER)).toHaveLength(1)
    expect(rig.engine.openAlerts().find((a) => a.subject === WATER)!.state).toBe('active')
    // What the engine keeps did not grow with the readings: the silence deadline of each of the 4 devices and the quiet period.
    expect(rig.engine.pendingDeadlines).toBe(5)
  })

  test('a flapping alert resolves itself once the condition has stayed clear for the quiet period', async () => {
    const rig = await rigAtCalm()
    toggleWater(rig, 4)
    const id = waterChanges(rig).at(-1)!.alert.id
    expect(rig.engine.openAlerts().find((a) => a.id === id)).toBeDefined()
    // Clear since the last toggle (1 s ago): still open just before the quiet period ends.
    rig.advance(FLAP_QUIET_MS / 1000 - 2)
    expect(rig.engine.openAlerts().find((a) => a.id === id)).toBeDefined()
    rig.advance(2)
    expect(rig.engine.openAlerts().find((a) => a.id === id)).toBeUndefined()
    const resolved = waterChanges(rig).at(-1)!
    expect(resolved.change).toBe('resolved')
    expect(resolved.alert).toMatchObject({ id, state: 'resolved', resolvedBy: 'system', flapping: true })
    expect(resolved.alert.resolveNote).toMatch(/no longer flapping/)

    // Afterwards the subject starts afresh: one open and one resolve, not flapping.
    rig.changes.length = 0
    toggleWater(rig, 1)
    expect(waterChanges(rig).map((c) => [c.change, c.alert.flapping])).toEqual([
      ['opened', undefined],
      ['resolved', undefined],
    ])
  })

  test('the quiet period starts over whenever the condition comes back', async () => {
    const rig = await rigAtCalm()
    toggleWater(rig, 4)
    const id = waterChanges(rig).at(-1)!.alert.id
    rig.advance(FLAP_QUIET_MS / 1000 / 2)
    rig.items('s1', { water: 10 })
    rig.advance(1)
    rig.items('s1', { water: 30 })
    rig.advance(FLAP_QUIET_MS / 1000 - 5)
    expect(rig.engine.openAlerts().find((a) => a.id === id)).toBeDefined()
    rig.advance(10)
    expect(rig.engine.openAlerts().find((a) => a.id === id)).toBeUndefined()
    expect(waterChanges(rig).filter((c) => c.alert.id === id).map((c) => c.change)).toEqual(['opened', 'resolved'])
  })

  test('opens spread wider than the window are not flapping and resolve as before', async () => {
    const rig = await rigAtCalm()
    // One open every 4 minutes: never FLAP_OPENS opens within 10 minutes.
    for (let i = 0; i < 8; i++) {
      toggleWater(rig, 1)
      rig.advance(4 * 60)
    }
    const changes = waterChanges(rig)
    expect(changes).toHaveLength(16)
    expect(changes.map((c) => c.change)).toEqual(Array.from({ length: 8 }, () => ['opened', 'resolved']).flat())
    expect(changes.every((c) => c.alert.flapping === undefined)).toBe(true)
    expect(rig.engine.openAlerts().filter((a) => a.subject === WATER)).toHaveLength(0)
  })

  test('a timed rule flaps too: a professional item missing past its deadline again and again', async () => {
    const rig = await rigAtCalm()
    // Critical alerts also escalate after 30 s active: only opens and resolves are looked at here.
    const missing = () => rig.changes.filter((c) => c.alert.rule === 'equipment-missing' && c.alert.subject === 'item:spreader-1' && c.change !== 'escalated')
    for (let i = 0; i < 6; i++) {
      rig.items('s1', { 'spreader-1': false })
      rig.advance(91)
      rig.items('s1', { 'spreader-1': true })
      rig.advance(1)
    }
    expect(missing().map((c) => c.change)).toEqual(['opened', 'resolved', 'opened', 'resolved', 'opened', 'resolved', 'opened'])
    const last = missing().at(-1)!.alert
    expect(last).toMatchObject({ severity: 'critical', flapping: true, state: 'active' })
    // Taken again and missing past its deadline: the condition holds again, the quiet period starts over.
    rig.advance(FLAP_QUIET_MS / 1000 / 2)
    const before = missing().length
    rig.items('s1', { 'spreader-1': false })
    rig.advance(91)
    rig.items('s1', { 'spreader-1': true })
    rig.advance(FLAP_QUIET_MS / 1000 - 5)
    expect(rig.engine.openAlerts().find((a) => a.id === last.id)).toBeDefined()
    expect(missing()).toHaveLength(before)
    rig.advance(10)
    expect(rig.engine.openAlerts().find((a) => a.id === last.id)).toBeUndefined()
    expect(missing().slice(before).map((c) => [c.alert.id, c.change])).toEqual([[last.id, 'resolved']])
  })

  test('rules that do not resolve themselves are never damped', async () => {
    const rig = await rigAtCalm()
    for (let i = 0; i < 6; i++) {
      rig.door('s1', true)
      const forced = rig.engine.openAlerts().find((a) => a.rule === 'door-forced')!
      await rig.engine.resolve(forced.id, 'responder')
      rig.door('s1', false)
      rig.advance(1)
    }
    const forced = rig.changes.filter((c) => c.alert.rule === 'door-forced')
    expect(forced.filter((c) => c.change === 'opened')).toHaveLength(6)
    expect(forced.every((c) => c.alert.flapping === undefined)).toBe(true)
  })

  test('a flapping alert stays damped across a restart of the engine', async () => {
    const rig = await rigAtCalm()
    toggleWater(rig, 4)
    const id = waterChanges(rig).at(-1)!.alert.id
    await rig.boot()
    const before = rig.changes.length
    toggleWater(rig, 50)
    expect(rig.changes.length).toBe(before)
    rig.advance(FLAP_QUIET_MS / 1000 + 1)
    expect(rig.changes.slice(before).map((c) => [c.alert.id, c.change])).toEqual([[id, 'resolved']])
  })

  test('a responder may resolve a flapping alert; if it comes back within the window it is flapping at once', async () => {
    const rig = await rigAtCalm()
    toggleWater(rig, 4)
    const id = waterChanges(rig).at(-1)!.alert.id
    await rig.engine.resolve(id, 'responder', 'checked the shelf')
    rig.changes.length = 0
    toggleWater(rig, 20)
    expect(waterChanges(rig).map((c) => [c.change, c.alert.flapping])).toEqual([['opened', true]])
  })
})

describe('FlapDamping', () => {
  test('keeps at most FLAP_OPENS times per key and forgets keys whose opens left the window', async () => {
    const d = new FlapDamping()
    let now = 1_000_000
    for (let i = 0; i < 1000; i++) d.opened('s|stock-low|item:a', (now += 10))
    expect(d.opened('s|stock-low|item:a', now)).toBe(true)
    for (let i = 0; i < 100; i++) d.opened(`s|stock-low|item:${i}`, now)
    expect(d.size).toBe(101)
    now += FLAP_WINDOW_MS + 1
    expect(d.opened('s|stock-low|item:z', now)).toBe(false)
    expect(d.size).toBe(1)
    expect(FLAP_OPENS).toBeGreaterThan(1)
  })
})
