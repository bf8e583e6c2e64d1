/**
 * A seeded pseudo-random generator (mulberry32). One 32-bit number of state, so
 * every simulated device can own one without weighing on a 10,000-device run.
 * Not for secrets: those come from node:crypto.
 */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min)
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: nothing to pick from')
    return items[Math.floor(this.next() * items.length)]!
  }

  /** `count` distinct items, in a seed-determined order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items]
    const out: T[] = []
    while (out.length < count && pool.length > 0) out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0]!)
    return out
  }
}

/**
 * Derives a 32-bit seed from the run's seed and names (FNV-1a), so each station
 * and device gets its own stream: adding a device does not change what the
 * others send.
 */
export function deriveSeed(seed: number, ...names: string[]): number {
  let h = 0x811c9dc5 ^ (seed >>> 0)
  for (const name of names) {
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h ^= 0xff // separator, so ("ab","c") and ("a","bc") differ
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
