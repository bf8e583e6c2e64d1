import { describe, expect, it } from 'vitest'
import { fairShare, planShare } from '../../../../src/adapters/nats/fair-share.ts'
import { natsUrlSchema } from '../../../../src/adapters/nats/connection.ts'
import { partitionFilter, partitionOf, readingSubject, stationOfSubject } from '../../../../src/adapters/nats/partitions.ts'

describe('partitions', () => {
  it('puts a station always in the same partition, the same on every instance', () => {
    // Fixed values: a change here would move stations between partitions in a running cluster.
    expect(partitionOf('st-north', 16)).toBe(partitionOf('st-north', 16))
    // FNV-1a of "a" is 0xe40c292c (the published test vector).
    expect(partitionOf('a', 0x10000)).toBe(0x292c)
    expect([partitionOf('a', 16), partitionOf('st-north', 16), partitionOf('station-0001', 16)]).toEqual([12, 12, 13])
    expect(readingSubject('st-north', 16)).toBe('sw.r.12.st-north')
    expect(stationOfSubject('sw.r.12.st-north')).toBe('st-north')
    expect(partitionFilter(3)).toBe('sw.r.3.>')
  })

  it('spreads many stations over every partition, none with more than twice its share', () => {
    const counts = new Array<number>(16).fill(0)
    for (let i = 0; i < 800; i++) counts[partitionOf(`station-${i}`, 16)]!++
    expect(Math.min(...counts)).toBeGreaterThan(25)
    expect(Math.max(...counts)).toBeLessThan(100)
  })

  it('refuses a station id that is not one subject token', () => {
    expect(() => readingSubject('st.north', 16)).toThrow(/station: must match/)
    expect(() => readingSubject('st-*', 16)).toThrow(/station: must match/)
  })
})

describe('fair share', () => {
  it('is the rounded-up equal share', () => {
    expect([fairShare(16, 1), fairShare(16, 2), fairShare(16, 3), fairShare(16, 0)]).toEqual([16, 8, 6, 16])
  })

  it('claims free partitions up to the share, in an order of its own', () => {
    expect(planShare({ partitions: 16, live: 3, owned: [0, 1], free: [4, 5, 6, 7, 8], rotation: 2 })).toEqual({ release: [], candidates: [6, 7, 8, 4, 5], want: 4 })
  })

  it('gives back what is over the share, and one at a time when two more than the least-loaded other', () => {
    expect(planShare({ partitions: 16, live: 2, owned: [3, 1, 2, 9, 4, 5, 6, 7, 8, 0], free: [], rotation: 0 }).release).toEqual([8, 9])
    // 6, 6, 4: each of the sixes gives one back.
    expect(planShare({ partitions: 16, live: 3, owned: [0, 1, 2, 3, 4, 5], free: [], rotation: 0, othersMin: 4 }).release).toEqual([5])
    // 6, 5, 5 is as even as 16 over 3 gets.
    expect(planShare({ partitions: 16, live: 3, owned: [0, 1, 2, 3, 4, 5], free: [], rotation: 0, othersMin: 5 })).toMatchObject({ release: [], want: 0 })
    expect(planShare({ partitions: 16, live: 3, owned: [0, 1, 2, 3, 4], free: [], rotation: 0, othersMin: 3 })).toMatchObject({ release: [] })
  })
})

describe('NATS_URL', () => {
  it('takes a comma-separated list and names the variable when wrong', () => {
    expect(natsUrlSchema.parse('nats://n1:4222, nats://n2:4222,nats://n3:4222')).toEqual(['nats://n1:4222', 'nats://n2:4222', 'nats://n3:4222'])
    expect(() => natsUrlSchema.parse('http://n1:4222')).toThrow(/NATS_URL: each entry/)
    expect(() => natsUrlSchema.parse(' , ')).toThrow(/NATS_URL: at least one/)
  })
})
