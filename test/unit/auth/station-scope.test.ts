import { describe, expect, test } from 'vitest'
import { canSee, scopedList, scopeOf, visible } from '../../../src/auth/station-scope.ts'

const all: { name: string; stations?: string[] } = { name: 'admin' }
const pm = { stations: ['a', 'c'] }
const none = { stations: [] as string[] }

describe('station scope', () => {
  test('absent means every station, a list only those, an empty list none', () => {
    expect(canSee(all, 'zz')).toBe(true)
    expect(canSee(undefined, 'zz')).toBe(true)
    expect(canSee(pm, 'a')).toBe(true)
    expect(canSee(pm, 'b')).toBe(false)
    expect(canSee(none, 'a')).toBe(false)
    expect(scopeOf(all)).toBeNull()
    expect([...scopeOf(pm)!]).toEqual(['a', 'c'])
    expect(visible(pm, ['a', 'b', 'c', 'a'], (s) => s)).toEqual(['a', 'c', 'a'])
    expect(visible(all, ['b'], (s) => s)).toEqual(['b'])
  })

  test('scopedList: one read when unscoped or for one station; otherwise per station, merged newest first and cut to the limit', async () => {
    const rows = [
      { station: 'a', t: 5 },
      { station: 'b', t: 4 },
      { station: 'c', t: 3 },
      { station: 'a', t: 2 },
      { station: 'c', t: 1 },
    ]
    const reads: (string | undefined)[] = []
    const read = (station: string | undefined) => (reads.push(station), rows.filter((r) => station === undefined || r.station === station))
    const t = (r: { t: number }) => r.t
    expect(await scopedList(all, { limit: 10 }, read, t)).toHaveLength(5)
    expect(reads).toEqual([undefined])
    expect((await scopedList(pm, { limit: 3 }, read, t)).map(t)).toEqual([5, 3, 2])
    expect(reads.slice(1).sort()).toEqual(['a', 'c'])
    expect(await scopedList(pm, { station: 'b', limit: 10 }, read, t)).toEqual([])
    expect((await scopedList(pm, { station: 'c', limit: 10 }, read, t)).map(t)).toEqual([3, 1])
    expect(await scopedList(none, { limit: 10 }, read, t)).toEqual([])
    // a store that answers with Promises
    expect((await scopedList(pm, { limit: 10 }, async (s) => read(s), t)).map(t)).toEqual([5, 3, 2, 1])
  })
})
