/**
 * How many partitions one instance should hold: an equal share, rounded up, so that the live
 * instances together can hold every partition (16 over 3 → at most 6 each).
 */
export function fairShare(partitions: number, liveInstances: number): number {
  return Math.ceil(partitions / Math.max(1, liveInstances))
}

export interface SharePlan {
  /** partitions to give back, when this instance holds more than its share */
  release: number[]
  /** free partitions to try, in this order, until `want` of them are won */
  candidates: number[]
  want: number
}

/**
 * What one instance does on a heartbeat. Claims go through compare-and-set, so several instances
 * may try the same free partition: each tries them in an order of its own (`rotation`, e.g. a
 * hash of its id) so that they mostly try different ones.
 *
 * Claiming up to the rounded-up share can leave one instance short (16 over 3 as 6, 6, 4): one
 * holding two more than the least-loaded other instance (`othersMin`) gives one back, a
 * heartbeat at a time, until no two differ by more than one.
 */
export function planShare(o: { partitions: number; live: number; owned: readonly number[]; free: readonly number[]; rotation: number; othersMin?: number }): SharePlan {
  const share = fairShare(o.partitions, o.live)
  const owned = [...o.owned].sort((a, b) => a - b)
  if (owned.length > share) return { release: owned.slice(share), candidates: [], want: 0 }
  if (o.othersMin !== undefined && owned.length > Math.floor(o.partitions / Math.max(1, o.live)) && owned.length - o.othersMin >= 2) {
    return { release: owned.slice(-1), candidates: [], want: 0 }
  }
  const free = [...o.free].sort((a, b) => a - b)
  const start = free.length ? o.rotation % free.length : 0
  return { release: [], candidates: [...free.slice(start), ...free.slice(0, start)], want: share - owned.length }
}
