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

export { fetchMetric, metricValue } from '../helpers/metrics.ts'
export { sleep, within } from '../helpers/wait.ts'
