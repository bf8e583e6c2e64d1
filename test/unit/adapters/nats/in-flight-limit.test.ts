import { describe, expect, it } from 'vitest'
import { InFlightLimit } from '../../../../src/adapters/nats/in-flight-limit.ts'

describe('InFlightLimit', () => {
  it('runs at most `max` at once; the rest start in arrival order as slots free up', async () => {
    const limit = new InFlightLimit(2)
    const started: number[] = []
    const finish: (() => void)[] = []
    const runs = [0, 1, 2, 3].map((i) => limit.run(() => {
      started.push(i)
      return new Promise<number>((r) => finish.push(() => r(i)))
    }))
    await Promise.resolve()
    expect(started).toEqual([0, 1])
    expect([limit.active, limit.queued]).toEqual([2, 2])
    finish[1]!()
    await runs[1]
    await Promise.resolve()
    expect(started).toEqual([0, 1, 2])
    finish[0]!()
    finish[2]!()
    await Promise.all([runs[0], runs[2]])
    await Promise.resolve()
    expect(started).toEqual([0, 1, 2, 3])
    finish[3]!()
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3])
    expect([limit.active, limit.queued]).toEqual([0, 0])
  })

  it('frees the slot of an operation that fails', async () => {
    const limit = new InFlightLimit(1)
    await expect(limit.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no')
    await expect(limit.run(() => Promise.resolve('yes'))).resolves.toBe('yes')
    expect(() => new InFlightLimit(0)).toThrow(/maxInFlight/)
  })
})
