import { afterAll, afterEach, beforeAll, describe } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findProgram, programAvailable } from './programs.ts'

/**
 * A real InfluxDB 1.x for tests: Debian's `influxd` (`apt-get install -y influxdb`), on two free
 * loopback ports with its own temporary directory, as docs/toolchain.md describes.
 */

export const INFLUXD_HINT = 'influxd (InfluxDB 1.x) is not installed: run "apt-get install -y influxdb"'

export function findInfluxd(): string | undefined {
  return findProgram('influxd')
}

/**
 * Whether the InfluxDB tests can run. In CI (CI=true) a missing influxd is an error that fails
 * the file; locally the tests are skipped, saying how to install it.
 */
export function influxdAvailable(): boolean {
  return programAvailable(!!findInfluxd(), INFLUXD_HINT, 'InfluxDB tests')
}

export interface Influxd {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly httpPort: number
  readonly dir: string
  readonly pid: number | undefined
  /** SIGSTOP: the process hangs; connections are accepted by the kernel but never answered */
  pause(): void
  /** SIGCONT */
  resume(): void
  /** SIGKILL (works on a paused process too), then waits for the exit */
  kill(): Promise<void>
  /** SIGTERM, keeping the data directory */
  stop(): Promise<void>
  /** starts again on the same directory and ports */
  restart(): Promise<void>
  /** stops and removes the directory */
  destroy(): Promise<void>
  /** runs InfluxQL; `epoch` defaults to ns */
  query(q: string, db?: string, opts?: { epoch?: 'ns' | 'ms'; params?: Record<string, unknown> }): Promise<any>
  /** the rows of the first series of a single SELECT, as objects */
  rows(q: string, db: string, opts?: { epoch?: 'ns' | 'ms' }): Promise<Record<string, unknown>[]>
  /** writes raw line protocol */
  writeLines(db: string, lines: string[], rp?: string): Promise<Response>
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL')
})

/** A fresh database name for one test: `test_<hex>` (hex, so InfluxQL needs no quoting). */
export function testDatabase(): string {
  return `test_${randomBytes(6).toString('hex')}`
}

export async function startInfluxd(): Promise<Influxd> {
  const bin = findInfluxd()
  if (!bin) throw new Error(INFLUXD_HINT)
  const dir = mkdtempSync(join(tmpdir(), 'sw-influxd-'))
  let lastErr: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const [httpPort, rpcPort] = await freePorts(2)
    try {
      return await launch(bin, dir, httpPort!, rpcPort!)
    } catch (err) {
      lastErr = err // most likely a port taken between finding and binding it: try others
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw lastErr
}

async function launch(bin: string, dir: string, httpPort: number, rpcPort: number): Promise<Influxd> {
  const url = `http://127.0.0.1:${httpPort}`
  let child: ChildProcess | undefined
  let paused = false

  const start = async () => {
    const log = openSync(join(dir, 'influxd.log'), 'a')
    const c = spawn(bin, ['run', '-config', '/dev/null'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        INFLUXDB_REPORTING_DISABLED: 'true',
        INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort}`,
        INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${httpPort}`,
        INFLUXDB_HTTP_LOG_ENABLED: 'false',
        INFLUXDB_META_DIR: join(dir, 'meta'),
        INFLUXDB_DATA_DIR: join(dir, 'data'),
        INFLUXDB_DATA_WAL_DIR: join(dir, 'wal'),
        INFLUXDB_MONITOR_STORE_ENABLED: 'false',
      },
      stdio: ['ignore', log, log],
    })
    closeSync(log)
    running.add(c)
    let exited = false
    c.once('exit', () => {
      exited = true
      running.delete(c)
    })
    child = c
    paused = false
    const end = Date.now() + 15_000
    for (;;) {
      if (exited) throw new Error(`influxd exited during start-up (see ${join(dir, 'influxd.log')})`)
      try {
        const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) })
        if (r.status === 204) return
      } catch {
        // not up yet
      }
      if (Date.now() > end) {
        c.kill('SIGKILL')
        throw new Error(`influxd did not answer /ping within 15 s (see ${join(dir, 'influxd.log')})`)
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  const waitExit = (c: ChildProcess, timeoutMs: number) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      const timer = setTimeout(() => {
        c.kill('SIGKILL')
      }, timeoutMs)
      c.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })

  const stop = async () => {
    const c = child
    if (!c) return
    child = undefined
    if (paused) c.kill('SIGCONT')
    c.kill('SIGTERM')
    await waitExit(c, 5000)
  }

  await start()

  const query = async (q: string, db?: string, opts: { epoch?: 'ns' | 'ms'; params?: Record<string, unknown> } = {}) => {
    const body = new URLSearchParams({ q, epoch: opts.epoch ?? 'ns', ...(db ? { db } : {}), ...(opts.params ? { params: JSON.stringify(opts.params) } : {}) })
    const r = await fetch(`${url}/query`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) })
    const json = await r.json()
    const err = json.error ?? json.results?.find((x: any) => x.error)?.error
    if (err) throw new Error(`InfluxQL "${q}": ${err}`)
    return json
  }

  return {
    url,
    httpPort,
    dir,
    get pid() {
      return child?.pid
    },
    pause() {
      child?.kill('SIGSTOP')
      paused = true
    },
    resume() {
      child?.kill('SIGCONT')
      paused = false
    },
    async kill() {
      const c = child
      if (!c) return
      child = undefined
      c.kill('SIGKILL')
      await waitExit(c, 5000)
    },
    stop,
    async restart() {
      await stop()
      await start()
    },
    async destroy() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
    query,
    async rows(q, db, opts = {}) {
      const json = await query(q, db, opts)
      const series = json.results?.[0]?.series?.[0]
      if (!series) return []
      return (series.values as unknown[][]).map((v) => Object.fromEntries((series.columns as string[]).map((c, i) => [c, v[i]])))
    },
    writeLines(db, lines, rp) {
      const qs = new URLSearchParams({ db, precision: 'n', ...(rp ? { rp } : {}) })
      return fetch(`${url}/write?${qs}`, { method: 'POST', body: lines.join('\n') })
    },
  }
}

/** Ports free right now on loopback (the OS picks them). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => resolve(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/**
 * `describe` for tests that need a real influxd: skipped with a hint where none is installed,
 * an error in CI (see influxdAvailable).
 */
export const describeWithInfluxd = (name: string, body: () => void) => describe.skipIf(!influxdAvailable())(name, body)

export interface InfluxFixture {
  /** the enclosing describe's influxd, started before its first test */
  readonly influxd: Influxd
  /** runs after the current test, newest first (close a store, drop its database) */
  cleanup(...fns: (() => unknown)[]): void
}

/** One influxd for the enclosing describe; each test's cleanups run after it, and a paused influxd is resumed first. */
export function useInfluxd(): InfluxFixture {
  let influxd: Influxd | undefined
  const cleanups: (() => unknown)[] = []
  beforeAll(async () => {
    influxd = await startInfluxd()
  })
  afterEach(async () => {
    influxd?.resume()
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined)
  })
  afterAll(async () => {
    await influxd?.destroy()
  })
  return {
    get influxd() {
      if (!influxd) throw new Error('influxd is started in beforeAll: use it inside a test or hook')
      return influxd
    },
    cleanup: (...fns) => void cleanups.push(...fns),
  }
}
