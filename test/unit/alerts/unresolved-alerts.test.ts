import { describe, expect, test } from 'vitest'
import type { AlertRecord } from '../../../src/alerts/alert.ts'
import { UnresolvedAlerts } from '../../../src/alerts/unresolved-alerts.ts'
import { EngineRig, MemoryAlertStore } from './engine-rig.ts'

function record(over: Partial<AlertRecord> & Pick<AlertRecord, 'id' | 'station' | 'rule' | 'subject'>): AlertRecord {
  return { severity: 'warning', state: 'active', message: '', openedAt: 0, escalated: false, occurrence: 0, ...over }
}

describe('UnresolvedAlerts', () => {
  test('counts and forced doors follow adds and removes, per station', async () => {
    const u = new UnresolvedAlerts()
    const forced = record({ id: 'a', station: 's1', rule: 'door-forced', subject: 'door:main' })
    const overdue = record({ id: 'b', station: 's1', rule: 'key-overdue', subject: 'key:k1' })
    const other = record({ id: 'c', station: 's2', rule: 'door-forced', subject: 'door:back' })
    u.add(forced)
    u.add(overdue)
    u.add(other)
    expect(u.countAt('s1')).toBe(2)
    expect([...u.forcedDoorsAt('s1')]).toEqual(['main'])
    expect([...u.forcedDoorsAt('s2')]).toEqual(['back'])
    expect(u.findById('b')).toBe(overdue)
    u.remove(forced)
    expect(u.countAt('s1')).toBe(1)
    expect([...u.forcedDoorsAt('s1')]).toEqual([])
    expect(u.findById('a')).toBeUndefined()
    u.remove(overdue)
    expect(u.countAt('s1')).toBe(0)
    expect(u.countAt('s2')).toBe(1)
    expect(u.countAt('nowhere')).toBe(0)
    expect([...u.forcedDoorsAt('nowhere')]).toEqual([])
  })

  test('removing twice, or what is not there, changes nothing', async () => {
    const u = new UnresolvedAlerts()
    const a = record({ id: 'a', station: 's1', rule: 'door-forced', subject: 'door:main' })
    u.add(a)
    u.remove(a)
    u.remove(a)
    u.remove(record({ id: 'x', station: 's1', rule: 'tamper', subject: 'device:d' }))
    expect(u.countAt('s1')).toBe(0)
    u.add(record({ id: 'b', station: 's1', rule: 'door-forced', subject: 'door:main' }))
    expect(u.countAt('s1')).toBe(1)
    expect([...u.forcedDoorsAt('s1')]).toEqual(['main'])
  })

  test('a second alert for the same rule and subject replaces the first in place, counted once', async () => {
    const u = new UnresolvedAlerts()
    const first = record({ id: 'a', station: 's1', rule: 'door-forced', subject: 'door:main' })
    const between = record({ id: 'b', station: 's1', rule: 'tamper', subject: 'device:d' })
    const second = record({ id: 'c', station: 's1', rule: 'door-forced', subject: 'door:main' })
    u.add(first)
    u.add(between)
    u.add(second)
    expect(u.countAt('s1')).toBe(2)
    expect([...u.values()].map((a) => a.id)).toEqual(['c', 'b'])
    expect(u.findById('a')).toBeUndefined()
    u.remove(second)
    expect(u.countAt('s1')).toBe(1)
    expect([...u.forcedDoorsAt('s1')]).toEqual([])
  })

  test('removing a stored copy frees its rule and subject, whatever object holds them', async () => {
    const u = new UnresolvedAlerts()
    const live = record({ id: 'a', station: 's1', rule: 'door-forced', subject: 'door:main' })
    u.add(live)
    u.remove({ ...live })
    expect(u.countAt('s1')).toBe(0)
    expect(u.findById('a')).toBeUndefined()
    expect([...u.forcedDoorsAt('s1')]).toEqual([])
  })
})

describe('the engine answers the board from its index', () => {
  test('forced doors and counts across open, acknowledge and resolve', async () => {
    const rig = await EngineRig.create()
    rig.calm('s1')
    rig.calm('s2')
    rig.door('s1', true)
    const forced = rig.changes.find((c) => c.alert.rule === 'door-forced')!.alert
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: ['main'] })
    expect(rig.indexed('s2')).toEqual({ count: 0, forced: [] })
    await rig.engine.acknowledge(forced.id, 'alice')
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: ['main'] })
    rig.door('s1', false)
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: ['main'] })
    await rig.engine.resolve(forced.id, 'alice')
    expect(rig.indexed('s1')).toEqual({ count: 0, forced: [] })
    await expect(rig.engine.resolve(forced.id, 'alice')).rejects.toThrow(/already resolved/)
    expect(rig.indexed('s1')).toEqual({ count: 0, forced: [] })
  })

  test('alerts the service opens and resolves itself are counted while open', async () => {
    const rig = await EngineRig.create()
    rig.calm('s1')
    rig.keys('s1', { '1': null, '2': 'key-room-1' }, 'badge-7')
    rig.items('s1', { water: 3 })
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: [] })
    rig.advance(121)
    expect(rig.indexed('s1')).toEqual({ count: 2, forced: [] })
    rig.keys('s1', { '1': 'key-main-1', '2': 'key-room-1' })
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: [] })
    rig.items('s1', { water: 30 })
    expect(rig.indexed('s1')).toEqual({ count: 0, forced: [] })
  })

  test('a restart restores the index from the store, and it keeps working afterwards', async () => {
    const store = new MemoryAlertStore()
    const rig = await EngineRig.create(['s1', 's2'], store)
    rig.calm('s1')
    rig.calm('s2')
    rig.door('s1', true)
    rig.door('s2', true, 'door-room')
    rig.status('s2', 'shelf', { online: true, tamper: true })
    const tamper = rig.changes.find((c) => c.alert.rule === 'tamper')!.alert
    await rig.engine.acknowledge(tamper.id, 'bob')
    await rig.boot()
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: ['main'] })
    expect(rig.indexed('s2')).toEqual({ count: 2, forced: ['equipment-room'] })
    await rig.engine.resolve(tamper.id, 'bob')
    const forced = rig.engine.openAlerts().find((a) => a.station === 's2' && a.rule === 'door-forced')!
    await rig.engine.resolve(forced.id, 'bob')
    expect(rig.indexed('s2')).toEqual({ count: 0, forced: [] })
    expect(rig.indexed('s1')).toEqual({ count: 1, forced: ['main'] })
  })

  test('incidents: what is resolved or raised at the close is counted', async () => {
    const rig = await EngineRig.create()
    rig.calm('s1')
    rig.items('s1', { 'spreader-1': false })
    rig.advance(91)
    expect(rig.indexed('s1').count).toBe(1)
    const incident = rig.engine.startIncident('s1', 'carol')
    rig.items('s1', { 'spreader-1': true })
    expect(rig.indexed('s1').count).toBe(1)
    await rig.engine.closeIncident(incident.id, 'carol')
    expect(rig.indexed('s1').count).toBe(0)
  })

  test('under a random stream of readings, statuses, time and responder actions the index never drifts from a scan', async () => {
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
    const rig = await EngineRig.create(['s1', 's2', 's3'])
    for (const s of rig.stations) rig.calm(s)
    for (let step = 0; step < 3000; step++) {
      const s = pick(rig.stations)
      const r = rnd()
      if (r < 0.2) rig.door(s, rnd() < 0.5, pick(['door-main', 'door-room'] as const))
      else if (r < 0.35) rig.keys(s, { '1': pick(['key-main-1', 'key-room-1', null]), '2': pick(['key-room-1', null]) }, pick(['badge-1', 'badge-2']))
      else if (r < 0.5) rig.items(s, { 'spreader-1': rnd() < 0.6, extinguisher: rnd() < 0.6, water: Math.floor(rnd() * 40) })
      else if (r < 0.6) rig.status(s, pick(['door-main', 'door-room', 'keybox', 'shelf']), { online: rnd() < 0.8, battery: Math.floor(rnd() * 40), tamper: rnd() < 0.2 })
      else if (r < 0.75) rig.advance(Math.floor(rnd() * 200))
      else if (r < 0.85) {
        const open = rig.engine.openAlerts()
        if (open.length) {
          const a = pick(open)
          if (a.state === 'active' && rnd() < 0.5) await rig.engine.acknowledge(a.id, 'dave')
          else await rig.engine.resolve(a.id, 'dave')
        }
      } else if (r < 0.92) {
        const open = rig.engine.openIncident(s)
        if (open) await rig.engine.closeIncident(open.id, 'erin')
        else rig.engine.startIncident(s, 'erin')
      } else if (r < 0.94) await rig.boot()
      for (const station of rig.stations) expect(rig.indexed(station), `step ${step} at ${station}`).toEqual(rig.scanned(station))
    }
    // The stream has to have exercised the index, not left it empty.
    expect(new Set(rig.changes.map((c) => `${c.alert.rule} ${c.change}`)).size).toBeGreaterThanOrEqual(12)
  })
})
