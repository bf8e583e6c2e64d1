/**
 * A store with every answer that is a Promise handed back a few milliseconds later, on a later
 * turn of the event loop, as a store across the network (PostgreSQL) would; what it answers is
 * the real adapter's. Over the embedded store, whose Promises are already resolved, a request
 * runs start to end in one turn and a read → decide → write cannot be interleaved; over this one it
 * can, so the tests that use it fail when a part stops keeping such steps atomic.
 */
export function slowed<T extends object>(store: T, delayMs = 3): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (!(result instanceof Promise)) return result
        return result.then(
          (v) => new Promise((resolve) => setTimeout(() => resolve(v), delayMs)),
          (err) => new Promise((_resolve, reject) => setTimeout(() => reject(err as Error), delayMs)),
        )
      }
    },
  })
}
