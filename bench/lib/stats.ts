/** Small statistics helpers for benchmark samples. */

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export interface LatencySummary { n: number; p50: number; p99: number; max: number }

export function summarize(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b)
  return { n: s.length, p50: round(percentile(s, 50), 2), p99: round(percentile(s, 99), 2), max: round(s[s.length - 1] ?? NaN, 2) }
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** min–max of repeated figures, and their median. */
export function range(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  const median = s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
  return { min: s[0] ?? NaN, median, max: s[s.length - 1] ?? NaN }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
