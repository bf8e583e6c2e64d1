import { describe, expect, test } from 'vitest'
import { stationSchema } from '../../../src/domain/station.ts'
import { StationModel } from '../../../src/domain/station-model.ts'
import { StationState } from '../../../src/domain/station-state.ts'
import { computeStatus } from '../../../src/domain/station-status.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

const cfg = stationSchema.parse(fixtureStation('unit').json)
const fresh = () => new StationState(new StationModel(cfg))
const noCtx = { forcedDoors: new Set<string>(), incident: null, activeAlerts: 0 }
const T = 1_800_000_000_000

function confirmedFine(s: StationState) {
  for (const d of cfg.devices) s.applyStatus(d.id, { online: true }, T)
  s.applyState('unit-door-main', { type: 'door', ts: 1, seq: 1, open: false }, T)
  s.applyState('unit-door-room', { type: 'door', ts: 1, seq: 1, open: false }, T)
  s.applyState('unit-keybox', { type: 'keybox', ts: 1, seq: 1, slots: { '1': 'key-main-1', '2': 'key-room-1' } }, T)
  s.applyState('unit-shelf', { type: 'equipment', ts: 1, seq: 1, items: { 'spreader-1': true, extinguisher: true, water: 30 } }, T)
}

describe('station status', () => {
  test('a station nobody has reported on is all stale, with null values, and cannot be ready', () => {
    const st = computeStatus(fresh(), noCtx)
    expect(st.doors.every((d) => d.stale && d.open === null && d.since === null)).toBe(true)
    expect(st.keys.every((k) => k.stale && k.present === null)).toBe(true)
    expect(st.equipment.every((e) => e.stale)).toBe(true)
    expect(st.readiness).toBe(0)
    expect(st.level).toBe('degraded')
    expect(st.reasons).toContain('unit-door-main has not reported yet')
  })

  test('everything confirmed in place is ready at 100', () => {
    const s = fresh()
    confirmedFine(s)
    expect(computeStatus(s, noCtx)).toMatchObject({ readiness: 100, level: 'ready', reasons: [] })
  })

  test('a missing professional item is not-ready; a door open, a key out or low stock is degraded', () => {
    const s = fresh()
    confirmedFine(s)
    s.applyState('unit-shelf', { type: 'equipment', ts: 2, seq: 2, items: { 'spreader-1': false } }, T + 1)
    let st = computeStatus(s, noCtx)
    expect(st.level).toBe('not-ready')
    expect(st.reasons).toEqual(['液压破拆工具 is missing'])
    // 4 devices + 2 doors + 2 keys + 1 professional + 1 counted = 10 checks
    expect(st.readiness).toBe(90)

    s.applyState('unit-shelf', { type: 'equipment', ts: 3, seq: 3, items: { 'spreader-1': true, water: 3 } }, T + 2)
    s.applyState('unit-keybox', { type: 'keybox', ts: 3, seq: 3, slots: { '1': null }, user: 'badge-1' }, T + 2)
    s.applyState('unit-door-main', { type: 'door', ts: 3, seq: 3, open: true }, T + 3)
    st = computeStatus(s, noCtx)
    expect(st.level).toBe('degraded')
    expect(st.readiness).toBe(70)
    expect(st.keys[0]).toMatchObject({ present: false, slot: null, takenBy: 'badge-1', since: T + 2, stale: false })
    expect(st.reasons).toEqual(['正门 is open', '正门钥匙（物业） is out of the key box (taken by badge-1)', '饮用水 is low: 3 of 24'])
  })

  test('an uncounted supply does not count toward readiness', () => {
    const s = fresh()
    confirmedFine(s)
    s.applyState('unit-shelf', { type: 'equipment', ts: 2, seq: 2, items: { extinguisher: false } }, T + 1)
    expect(computeStatus(s, noCtx)).toMatchObject({ readiness: 100, level: 'ready' })
  })

  test('a forced door makes the station not-ready', () => {
    const s = fresh()
    confirmedFine(s)
    expect(computeStatus(s, { ...noCtx, forcedDoors: new Set(['main']) }).level).toBe('not-ready')
  })

  test('an offline device makes its subjects stale, keeps their last value, and counts once', () => {
    const s = fresh()
    confirmedFine(s)
    s.applyState('unit-shelf', { type: 'equipment', ts: 2, seq: 2, items: { 'spreader-1': false } }, T + 1)
    s.applyStatus('unit-shelf', { online: false }, T + 2)
    const st = computeStatus(s, noCtx)
    expect(st.equipment.find((e) => e.id === 'spreader-1')).toMatchObject({ present: false, stale: true })
    // "cannot confirm", not "missing": degraded for the offline reader, not not-ready.
    expect(st.level).toBe('degraded')
    expect(st.reasons).toEqual(['unit-shelf is offline'])
    // The shelf's two items are stale and left out: 4 devices + 2 doors + 2 keys, 7 of 8 pass.
    expect(st.readiness).toBe(Math.floor((7 * 100) / 8))
  })
})

describe('live state', () => {
  test('keys: taken with the box user, returned, moved to another slot', () => {
    const s = fresh()
    confirmedFine(s)
    const taken = s.applyState('unit-keybox', { type: 'keybox', ts: 2, seq: 2, slots: { '1': null }, user: 'badge-7' }, T + 1)
    expect(taken.events).toMatchObject([{ kind: 'key-taken', subject: 'key:key-main-1', user: 'badge-7' }])
    const swapped = s.applyState('unit-keybox', { type: 'keybox', ts: 3, seq: 3, slots: { '1': 'key-room-1', '2': 'key-main-1' }, user: 'badge-7' }, T + 2)
    expect(swapped.events).toMatchObject([{ kind: 'key-returned', subject: 'key:key-main-1' }])
    expect(s.keys.get('key-room-1')).toMatchObject({ present: true, slot: '1' })
    expect(s.keys.get('key-main-1')).toMatchObject({ present: true, slot: '2' })
  })

  test('a door that opens records which keys were out', () => {
    const s = fresh()
    confirmedFine(s)
    s.applyState('unit-keybox', { type: 'keybox', ts: 2, seq: 2, slots: { '1': null }, user: 'badge-3' }, T + 1)
    const r = s.applyState('unit-door-main', { type: 'door', ts: 2, seq: 2, open: true }, T + 2)
    expect(r.events[0]).toMatchObject({ kind: 'door-opened', user: 'badge-3', detail: 'keys out: key-main-1 (badge-3)' })
    expect(s.doors.get('main')).toMatchObject({ open: true, forced: false })
    s.applyState('unit-door-room', { type: 'door', ts: 2, seq: 2, open: true }, T + 3)
    expect(s.doors.get('equipment-room')).toMatchObject({ open: true, forced: true })
  })

  test('counts: a change is an event, the same count is not; low stock remembers when it began', () => {
    const s = fresh()
    confirmedFine(s)
    expect(s.applyState('unit-shelf', { type: 'equipment', ts: 2, seq: 2, items: { water: 30 } }, T + 1).events).toEqual([])
    expect(s.applyState('unit-shelf', { type: 'equipment', ts: 3, seq: 3, items: { water: 20 } }, T + 2).events[0]).toMatchObject({ kind: 'count-changed', value: 20 })
    s.applyState('unit-shelf', { type: 'equipment', ts: 4, seq: 4, items: { water: 10 } }, T + 3)
    expect(s.items.get('water')?.lowSince).toBe(T + 2)
  })

  test('duplicates and out-of-order readings are recognised per device', () => {
    const s = fresh()
    s.applyState('unit-door-main', { type: 'door', ts: 100, seq: 5, open: false }, T)
    s.remember('unit-door-main', 5, 100, T)
    expect(s.isDuplicate('unit-door-main', 5, 100)).toBe(true)
    expect(s.isDuplicate('unit-door-main', 5, 101)).toBe(false)
    expect(s.isOutOfOrder('unit-door-main', 99)).toBe(true)
    expect(s.isOutOfOrder('unit-door-room', 99)).toBe(false)
  })

  test('a snapshot restores the same live picture', () => {
    const s = fresh()
    confirmedFine(s)
    s.applyState('unit-keybox', { type: 'keybox', ts: 2, seq: 2, slots: { '1': null }, user: 'badge-7' }, T + 1)
    const copy = fresh()
    copy.restore(JSON.parse(JSON.stringify(s.toJSON())))
    expect(computeStatus(copy, noCtx)).toEqual(computeStatus(s, noCtx))
  })
})
