import { expect, test } from 'vitest'
import { DurableAcks } from '../../../../src/adapters/mqtt/durable-acks.ts'

/** A store whose durable() waits are released by hand, as group commits would. */
function store() {
  const calls: { release(): void; fail(err: Error): void }[] = []
  const durable = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ release: resolve, fail: reject })
    })
  return { calls, durable, position: () => 0, kept: () => true }
}

const turn = () => new Promise((r) => setImmediate(r))

test("the acknowledgements of one turn share one durable() wait and are released in arrival order, none before it", async () => {
  const s = store()
  const acks = new DurableAcks(s)
  const order: string[] = []
  for (const id of ['a', 'b', 'c']) acks.add(0, 0, (err) => order.push(`${id}:${err ? 'error' : 'ok'}`))
  await turn()
  expect(s.calls).toHaveLength(1)
  expect(order).toEqual([])

  // A later turn waits for a later commit of its own.
  acks.add(0, 0, (err) => order.push(`d:${err ? 'error' : 'ok'}`))
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
  const acks = new DurableAcks(s)
  const errors: (Error | null)[] = []
  acks.add(0, 0, (err) => errors.push(err))
  acks.add(0, 0, (err) => errors.push(err))
  await turn()
  s.calls[0]!.fail(new Error('disk full'))
  await turn()
  expect(errors.map((e) => e?.message)).toEqual(['disk full', 'disk full'])

  const throwing = new DurableAcks({
    durable: () => {
      throw new Error('store closed')
    },
    position: () => 0,
    kept: () => true,
  })
  const more: (Error | null)[] = []
  throwing.add(0, 0, (err) => more.push(err))
  await turn()
  expect(more.map((e) => e?.message)).toEqual(['store closed'])
})

test("a message whose points the store dropped is released as not kept; one that wrote nothing is kept", async () => {
  const s = store()
  const lost = new Set([3])
  const acks = new DurableAcks({ ...s, kept: (from, to) => ![...lost].some((p) => p > from && p <= to) })
  const out: string[] = []
  acks.add(0, 2, (err, kept) => out.push(`a:${err ? 'error' : kept}`))
  acks.add(2, 4, (err, kept) => out.push(`b:${err ? 'error' : kept}`))
  acks.add(4, 4, (err, kept) => out.push(`c:${err ? 'error' : kept}`))
  await turn()
  s.calls[0]!.release()
  await turn()
  expect(out).toEqual(['a:true', 'b:false', 'c:true'])
})
