/** Per-process CPU and memory from /proc (Linux), as the kernel sees the process from outside. */
import { readFileSync } from 'node:fs'

/** clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK); 100 on Linux x86-64 */
const CLK_TCK = 100

export interface ProcSample {
  /** wall time of the sample, performance.now() ms */
  at: number
  /** user + system CPU time so far, ms (all threads) */
  cpuMs: number
  /** the same for the main thread only (the event loop; worker threads excluded) */
  mainCpuMs: number
  /** resident set size, KiB */
  rssKb: number
}

function cpuOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8')
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK
}

export function sampleProc(pid: number): ProcSample {
  const cpuMs = cpuOf(`/proc/${pid}/stat`)
  const mainCpuMs = cpuOf(`/proc/${pid}/task/${pid}/stat`)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN)
  return { at: performance.now(), cpuMs, mainCpuMs, rssKb: rss }
}

/** CPU used between two samples, as a share of one core (1 = one core busy the whole time). */
export function cpuShare(a: ProcSample, b: ProcSample, thread: 'all' | 'main' = 'all'): number {
  return thread === 'all' ? (b.cpuMs - a.cpuMs) / (b.at - a.at) : (b.mainCpuMs - a.mainCpuMs) / (b.at - a.at)
}

/** Whole-machine CPU busy share over an interval, from /proc/stat (0..cores). */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = (line[3] ?? 0) + (line[4] ?? 0)
  const total = line.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

/** Load average over the last minute: how busy other users keep the machine. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
}

/**
 * The scheduler's view of one thread (/proc/<pid>/task/<tid>/schedstat): ns spent running and
 * ns spent runnable but waiting for a CPU. A thread that waits a lot is starved, not slow.
 */
export function schedStat(pid: number, tid = pid): { at: number; runNs: number; waitNs: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number)
  return { at: performance.now(), runNs: run ?? NaN, waitNs: wait ?? NaN }
}

/** Shares of the interval a thread ran, and waited runnable for a CPU. */
export function schedShares(a: ReturnType<typeof schedStat>, b: ReturnType<typeof schedStat>): { running: number; waiting: number } {
  const ns = (b.at - a.at) * 1e6
  return { running: Math.round(((b.runNs - a.runNs) / ns) * 100) / 100, waiting: Math.round(((b.waitNs - a.waitNs) / ns) * 100) / 100 }
}
