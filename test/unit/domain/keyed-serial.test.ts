import { expect, test } from 'vitest'
import { KeyedSerial } from '../../../src/domain/keyed-serial.ts'

const tick = () => new Promise<void>((r) => setImmediate(r))

test('steps on one key run one at a time in call order, a failure does not stop the next; other keys do not wait', async () => {
  const serial = new KeyedSerial()
  const log: string[] = []
  const step = (name: string, fail = false) => async () => {
    log.push(`${name} start`)
    await tick()
    await tick()
    log.push(`${name} end`)
    if (fail) throw new Error(name)
    return name
  }
  const a1 = serial.run('a', step('a1', true))
  const a2 = serial.run('a', step('a2'))
  const b1 = serial.run('b', step('b1'))
  await expect(a1).rejects.toThrow('a1')
  expect(await a2).toBe('a2')
  expect(await b1).toBe('b1')
  const onA = log.filter((l) => l.startsWith('a'))
  expect(onA).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end'])
  // b1 started while a1 was still running: keys are independent.
  expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'))
  await tick()
  expect(serial.size).toBe(0)
})

test('a read-decide-write step serialised per key keeps a counter exact under concurrent callers', async () => {
  const serial = new KeyedSerial()
  let stored = 0
  const read = async () => (await tick(), stored)
  const write = (v: number) => void (stored = v)
  await Promise.all(Array.from({ length: 20 }, () => serial.run('k', async () => write((await read()) + 1))))
  expect(stored).toBe(20)
})
