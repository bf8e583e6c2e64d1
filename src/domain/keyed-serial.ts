/**
 * Runs steps one at a time per key, in the order they were asked for. A step that reads the state
 * store, decides on what it read and writes (now that store reads are Promises) must not have
 * another step on the same key slip in between its read and its write: each waits for the one
 * before it to finish, whether that succeeded or threw. Keys with nothing pending are forgotten.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>()

  run<T>(key: string, step: () => T | Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(step)
    const tail = result.then(
      () => undefined,
      () => undefined,
    )
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }

  /** keys with a step pending or running (tests) */
  get size(): number {
    return this.tails.size
  }
}
