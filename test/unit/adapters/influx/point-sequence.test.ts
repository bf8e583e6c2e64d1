import { expect, test } from 'vitest'
import { PointSequence } from '../../../../src/adapters/influx/point-sequence.ts'

test('waiters resolve once their number is settled, in order, and not before', async () => {
  const seq = new PointSequence()
  seq.issue(5)
  expect(seq.last).toBe(5)
  const resolved: number[] = []
  const a = seq.waitFor(2).then(() => resolved.push(2))
  const b = seq.waitFor(5).then(() => resolved.push(5))
  seq.settle(3)
  await a
  await Promise.resolve()
  expect(resolved).toEqual([2])
  seq.settle(2) // going back settles nothing anew
  expect(seq.settled).toBe(3)
  seq.settle(5)
  await b
  expect(resolved).toEqual([2, 5])
})

test('a group that reached the spool cut short loses its tail: kept() says so for the messages in it', () => {
  const seq = new PointSequence()
  seq.issue(10)
  // points 1–10 went to the spool; it kept the first 7
  seq.spooled(10, 7, 10)
  expect(seq.settled).toBe(10)
  expect(seq.keptAll(1, 7)).toBe(true)
  expect(seq.keptAll(7, 8)).toBe(false)
  expect(seq.keptAll(9, 10)).toBe(false)
  seq.issue(3)
  seq.markLost(12, 12)
  expect(seq.keptAll(11, 11)).toBe(true)
  expect(seq.keptAll(11, 13)).toBe(false)
})
