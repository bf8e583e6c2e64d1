/**
 * Benchmark parts run in their own processes (service, bare broker, load generator, /ws
 * observers), so that the generator's CPU is never charged to the service and /proc can
 * measure each one. They talk over Node's IPC channel: a request `{id, cmd, ...}` gets one
 * reply `{id, ok, result | error}`.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { writeHeapSnapshot } from 'node:v8'

export interface Child {
  proc: ChildProcess
  pid: number
  /** stderr lines (kept for error messages; the last 200) */
  stderr: string[]
  request<T = any>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** Asks the child to stop (cmd `stop`), then kills it if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>
  kill(): void
  exited: Promise<number | null>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

export function startChild(file: string, opts: { env?: Record<string, string>; execArgv?: string[]; name?: string } = {}): Child {
  const path = fileURLToPath(new URL(file, import.meta.url))
  const proc = fork(path, [], {
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  live.add(proc)
  const stderr: string[] = []
  let rest = ''
  proc.stderr!.on('data', (c: Buffer) => {
    rest += c.toString('utf8')
    const lines = rest.split('\n')
    rest = lines.pop()!
    stderr.push(...lines)
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200)
  })
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()
  let nextId = 1
  proc.on('message', (m: any) => {
    const p = pending.get(m?.id)
    if (!p) return
    pending.delete(m.id)
    clearTimeout(p.timer)
    if (m.ok) p.resolve(m.result)
    else p.reject(new Error(`${opts.name ?? file}: ${m.error}`))
  })
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      live.delete(proc)
      for (const p of pending.values()) {
        clearTimeout(p.timer)
        p.reject(new Error(`${opts.name ?? file} exited (${code}) during a request; stderr: ${stderr.slice(-20).join('\n')}`))
      }
      pending.clear()
      resolve(code)
    }),
  )
  const child: Child = {
    proc,
    pid: proc.pid!,
    stderr,
    request(cmd, args = {}, timeoutMs = 120_000) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`${opts.name ?? file}: "${cmd}" did not answer within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, { resolve, reject, timer })
        proc.send({ id, cmd, ...args })
      })
    },
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      child.request('stop', {}, graceMs).catch(() => undefined)
      await exited
      clearTimeout(timer)
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    },
    exited,
  }
  return child
}

/** The child's side: answers requests with `handlers[cmd](args)`; exits when the parent goes away. */
/** What every measured child answers about its own process: `gc` (with --expose-gc), `heap`, `cpu` (µs, all threads). */
export const processProbes = {
  gc() {
    const g = (globalThis as { gc?: () => void }).gc
    if (g) (g(), g())
    return Boolean(g)
  },
  heap() {
    return process.memoryUsage()
  },
  cpu() {
    const c = process.cpuUsage()
    return c.user + c.system
  },
  /** A V8 heap snapshot into `file` (for what a connection keeps: bench/lib/heap-diff.ts). */
  heapSnapshot(a: { file: string }) {
    return writeHeapSnapshot(a.file)
  },
}

export function serve(handlers: Record<string, (args: any) => unknown>): void {
  process.on('disconnect', () => process.exit(0))
  // The handler answers every command, failures included, so nothing is left to reject.
  process.on('message', (m: any) => void answer(handlers, m))
}

async function answer(handlers: Record<string, (args: any) => unknown>, m: any): Promise<void> {
  const h = handlers[m?.cmd]
  try {
    if (!h) throw new Error(`unknown command ${m?.cmd}`)
    const result = await h(m)
    process.send?.({ id: m.id, ok: true, result })
  } catch (err) {
    process.send?.({ id: m.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) })
  }
}
