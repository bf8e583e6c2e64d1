// The two rules behind issue 12's MQTT bounds, on their own: which client ids a device may use
// (contract §3, v2 A2), and how many refusals are written down per key and in all.
import { expect, test } from 'vitest'
import { checkClientId } from '../../../../src/adapters/mqtt/client-id.ts'
import { cut, RefusalBudget } from '../../../../src/adapters/mqtt/refusal-budget.ts'

const devices = new Set(['s-door', 's-door-main', 's-shelf'])
const isDevice = (id: string) => devices.has(id)
const ok = (clientId: string, device: string, clean = true) => checkClientId(clientId, device, clean, isDevice).ok

test('a client id is the device id, or the device id, "-" and 1-32 of [A-Za-z0-9_-], and no other device’s', () => {
  expect(ok('s-shelf', 's-shelf')).toBe(true)
  expect(ok('s-shelf', 's-shelf', false)).toBe(true)
  expect(ok('s-shelf-1', 's-shelf')).toBe(true)
  expect(ok(`s-shelf-${'a'.repeat(32)}`, 's-shelf')).toBe(true)
  expect(ok('s-shelf-A_z-9', 's-shelf')).toBe(true)
  for (const bad of ['', 's-shelf-', `s-shelf-${'a'.repeat(33)}`, 's-shelf-a.b', 's-shelf-ä', 's-shelfx', 'mqttjs_12ab', 's-door', 'x'.repeat(60_000)]) expect(ok(bad, 's-shelf'), bad).toBe(false)
  // Another device's id, and ids that belong to it (the longest device id they start with).
  expect(ok('s-door-main', 's-door')).toBe(false)
  expect(ok('s-door-main-2', 's-door')).toBe(false)
  expect(ok('s-door-main-2', 's-door-main')).toBe(true)
  expect(ok('s-door-2', 's-door')).toBe(true)
  // One persistent session per device: clean=false only under the device id.
  expect(ok('s-shelf-1', 's-shelf', false)).toBe(false)
})

test('refusals are recorded up to the bound per key, said once at the bound, then counted; windows reset; the total bounds all keys', () => {
  const b = new RefusalBudget({ perKey: 3, total: 5, windowMs: 1000, totalWindowMs: 1000, maxKeys: 2 })
  expect([1, 2, 3, 4, 5].map(() => b.take(['a'], 0))).toEqual(['record', 'record', 'record', 'bound-reached', 'count'])
  expect(b.take(['b'], 0)).toBe('bound-reached') // the total (5) is reached: 6th refusal overall
  expect(b.take(['b'], 0)).toBe('count')
  expect(b.take(['c'], 0)).toBe('count') // no room for a third key
  expect(b.take(['a'], 1000)).toBe('record') // a new window
  expect(b.take(['c'], 1000)).toBe('record') // expired keys make room
  expect(b.trackedKeys).toBeLessThanOrEqual(2)
  expect(cut('x'.repeat(60_000))).toHaveLength(128)
  expect(cut('short')).toBe('short')
})

test('the bound over all keys has a long window of its own', () => {
  const b = new RefusalBudget({ perKey: 2, total: 4, windowMs: 1000, totalWindowMs: 10_000, maxKeys: 100 })
  expect([b.take(['a'], 0), b.take(['a'], 0), b.take(['b'], 1000), b.take(['b'], 1000)]).toEqual(['record', 'record', 'record', 'record'])
  expect(b.take(['c'], 2000)).toBe('bound-reached')
  expect(b.take(['d'], 5000)).toBe('count')
  expect(b.take(['d'], 10_000)).toBe('record')
})
