import { expect, test } from 'vitest'
import { DeadlineQueue } from '../../../src/alerts/deadline-queue.ts'

test('a key cancelled and scheduled again at the same time is due once', () => {
  const q = new DeadlineQueue()
  q.schedule('a', 10)
  q.cancel('a')
  q.schedule('a', 10)
  expect(q.size).toBe(1)
  expect(q.popDue(10)).toEqual(['a'])
  expect(q.peek()).toBeUndefined()
})

test('entries left behind by cancels and reschedules never come due, through compactions', () => {
  const q = new DeadlineQueue()
  for (let i = 0; i < 5000; i++) {
    q.schedule(`k${i % 50}`, 10_000 - i)
    if (i % 3 === 0) q.cancel(`k${(i * 7) % 50}`)
  }
  const live = new Map<string, number>()
  for (let i = 0; i < 5000; i++) {
    live.set(`k${i % 50}`, 10_000 - i)
    if (i % 3 === 0) live.delete(`k${(i * 7) % 50}`)
  }
  expect(q.size).toBe(live.size)
  const expected = [...live].sort((x, y) => x[1] - y[1]).map(([k]) => k)
  expect(q.popDue(Number.MAX_SAFE_INTEGER)).toEqual(expected)
})
