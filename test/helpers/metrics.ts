// Reading Prometheus text (GET /metrics) in tests: one parser.

/** `name{labels}` → value, for every sample line. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line)
    if (m) out.set(m[1]!, Number(m[2]))
  }
  return out
}

/** The sum of every series of `name` whose labels include all of `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const [series, v] of parseMetrics(text)) {
    const m = /^([^{]+)(?:\{(.*)\})?$/.exec(series)!
    if (m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]))
    if (Object.entries(labels).every(([k, want]) => have[k] === want)) sum += v
  }
  return sum
}

export async function fetchMetric(httpPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`)
  return metricValue(await r.text(), name, labels)
}
