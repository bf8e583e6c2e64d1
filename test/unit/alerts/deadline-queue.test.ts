import { expect, test } from 'vitest'
import { DeadlineQueue } from '../../../src/alerts/deadline-queue.ts'

test('pops due keys earliest first and keeps later ones', () => {
  const q = new DeadlineQueue()
  q.schedule('c', 30)
  q.schedule('a', 10)
  q.schedule('b', 20)
  expect(q.peek()).toBe(10)
  expect(q.popDue(20)).toEqual(['a', 'b'])
  expect(q.size).toBe(1)
  expect(q.peek()).toBe(30)
})

test('rescheduling moves a key; cancelling removes it', () => {
  const q = new DeadlineQueue()
  q.schedule('a', 10)
  q.schedule('a', 50)
  q.schedule('b', 20)
  q.cancel('b')
  expect(q.popDue(40)).toEqual([])
  expect(q.popDue(50)).toEqual(['a'])
  expect(q.peek()).toBeUndefined()
})

test('many reschedules stay bounded and correct', () => {
  const q = new DeadlineQueue()
  for (let i = 0; i < 10_000; i++) q.schedule(`k${i % 100}`, 1000 + i)
  expect(q.size).toBe(100)
  const due = q.popDue(Number.MAX_SAFE_INTEGER)
  expect(due).toHaveLength(100)
  expect(due[0]).toBe('k0')
})
