import { expect, test } from 'vitest'
import { DurableAcks } from '../../../../src/adapters/mqtt/durable-acks.ts'

/** A store whose durable() waits are released by hand, as group commits would. */
function store() {
  const calls: { release(): void; fail(err: Error): void }[] = []
  const durable = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ release: resolve, fail: reject })
    })
  return { calls, durable }
}

const turn = () => new Promise((r) => setImmediate(r))

test("the acknowledgements of one turn share one durable() wait and are released in arrival order, none before it", async () => {
  const s = store()
  const acks = new DurableAcks(s.durable)
  const order: string[] = []
  for (const id of ['a', 'b', 'c']) acks.add((err) => order.push(`${id}:${err ? 'error' : 'ok'}`))
  await turn()
  expect(s.calls).toHaveLength(1)
  expect(order).toEqual([])

  // A later turn waits for a later commit of its own.
  acks.add((err) => order.push(`d:${err ? 'error' : 'ok'}`))
  await turn()
  expect(s.calls).toHaveLength(2)
  s.calls[0]!.release()
  await turn()
  expect(order).toEqual(['a:ok', 'b:ok', 'c:ok'])
  s.calls[1]!.release()
  await turn()
  expect(order).toEqual(['a:ok', 'b:ok', 'c:ok', 'd:ok'])
})

test("a failed commit fails every acknowledgement waiting for it, whether durable() rejects or throws", async () => {
  const s = store()
  const acks = new DurableAcks(s.durable)
  const errors: (Error | null)[] = []
  acks.add((err) => errors.push(err))
  acks.add((err) => errors.push(err))
  await turn()
  s.calls[0]!.fail(new Error('disk full'))
  await turn()
  expect(errors.map((e) => e?.message)).toEqual(['disk full', 'disk full'])

  const throwing = new DurableAcks(() => {
    throw new Error('store closed')
  })
  const more: (Error | null)[] = []
  throwing.add((err) => more.push(err))
  await turn()
  expect(more.map((e) => e?.message)).toEqual(['store closed'])
})
