/**
 * How many refusals (refused CONNECTs, SUBSCRIBEs, publishes) are written down — a log line and,
 * for a known device, a reject row — per device and per client address, in a fixed window.
 *
 * Every refusal is counted (metrics); only the first `perKey` of a window per key, and the first
 * `total` of a window over all keys, are recorded. So a flood of refused packets can neither fill
 * the log nor push the earlier reject rows (the evidence of a bad publish) out of the reject trail,
 * which keeps only the newest rows. The table of keys is bounded too: past `maxKeys` live keys a
 * refusal from a new key is counted only.
 */
export interface RefusalBudgetOptions {
  /** refusals recorded per device and per client address in a window */
  perKey: number
  /** refusals recorded over all keys in `totalWindowMs` */
  total: number
  windowMs: number
  /**
   * Long, so that a sustained flood from many keys adds rows to the reject trail (which keeps its
   * newest 10,000) too slowly to push out what was recorded before it: 100 an hour take 100 hours.
   */
  totalWindowMs: number
  /** keys (devices and addresses) tracked at once */
  maxKeys: number
}

export const DEFAULT_REFUSAL_BUDGET: RefusalBudgetOptions = { perKey: 10, windowMs: 60_000, total: 100, totalWindowMs: 3_600_000, maxKeys: 10_000 }

/** `record`: write it down; `bound-reached`: write down one line saying so, then only count; `count`: count only. */
export type RefusalVerdict = 'record' | 'bound-reached' | 'count'

interface Window {
  start: number
  n: number
}

export class RefusalBudget {
  private readonly keys = new Map<string, Window>()
  private all: Window = { start: 0, n: 0 }

  constructor(private readonly o: RefusalBudgetOptions = DEFAULT_REFUSAL_BUDGET) {}

  /** Takes one refusal charged to every key given (the device, the client address). */
  take(keys: readonly string[], now: number): RefusalVerdict {
    if (now - this.all.start >= this.o.totalWindowMs) this.all = { start: now, n: 0 }
    // 0 record, 1 a bound is reached just now, 2 a bound was passed before: the worst key decides.
    let level = this.level(++this.all.n, this.o.total)
    for (const key of keys) {
      const w = this.window(key, now)
      level = Math.max(level, w ? this.level(++w.n, this.o.perKey) : 2)
    }
    return level === 0 ? 'record' : level === 1 ? 'bound-reached' : 'count'
  }

  private level(n: number, bound: number): number {
    return n <= bound ? 0 : n === bound + 1 ? 1 : 2
  }

  get trackedKeys(): number {
    return this.keys.size
  }

  private window(key: string, now: number): Window | undefined {
    let w = this.keys.get(key)
    if (w && now - w.start >= this.o.windowMs) {
      w.start = now
      w.n = 0
    }
    if (w) return w
    if (this.keys.size >= this.o.maxKeys) {
      for (const [k, old] of this.keys) if (now - old.start >= this.o.windowMs) this.keys.delete(k)
      if (this.keys.size >= this.o.maxKeys) return undefined
    }
    this.keys.set(key, (w = { start: now, n: 0 }))
    return w
  }
}

/** Client ids and topics as they go into the log and the reject trail: at most 128 characters. */
export function cut(s: string | undefined | null, max = 128): string {
  if (s === undefined || s === null) return ''
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}
