// Shared by the hostile-input suites: a process-level watch for unhandled errors, a GC that
// works without --expose-gc, and memory readings of this process or of a child service.
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * Records every unhandled rejection and uncaught exception of this process while installed.
 * `check()` throws if any were seen (call it after each property and at the end).
 */
export function watchUnhandled(): { check(): void; uninstall(): void; seen: unknown[] } {
  const seen: unknown[] = []
  const onRejection = (reason: unknown) => seen.push(reason)
  const onException = (err: unknown) => seen.push(err)
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    seen,
    check() {
      if (seen.length) {
        const first = seen[0]
        throw new Error(`${seen.length} unhandled rejection(s)/exception(s); first: ${first instanceof Error ? (first.stack ?? first.message) : JSON.stringify(first)}`)
      }
    },
    uninstall() {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}

let gcFn: (() => void) | undefined
/** A full GC, also when Node was started without --expose-gc. */
export function fullGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc
    if (g) gcFn = g
    else {
      setFlagsFromString('--expose_gc')
      gcFn = runInNewContext('gc') as () => void
    }
  }
  gcFn()
  gcFn()
}

/** heapUsed + arrayBuffers after a full GC, in MB (Buffers live outside the JS heap). */
export async function liveMemoryMb(): Promise<number> {
  // Let pending I/O callbacks release what they hold before collecting.
  await new Promise((r) => setTimeout(r, 50))
  fullGc()
  const m = process.memoryUsage()
  return (m.heapUsed + m.arrayBuffers) / 1048576
}

/** The resident set size of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) / 1024
}

/** Samples `rssMb(pid)` every `everyMs` until stopped; returns the peak. */
export function sampleRss(pid: number, everyMs = 20): { stop(): number; peak(): number } {
  let peak = rssMb(pid)
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid))
    } catch {
      // the process is gone
    }
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return peak
    },
    peak: () => peak,
  }
}

/** Parses Prometheus text into `name{labels}` → value, and sums a metric over matching labels. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3])
  }
  return sum
}

export async function fetchMetric(httpPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`)
  return metricValue(await r.text(), name, labels)
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(() => clearTimeout(timer))
}
