import { afterAll, afterEach, beforeAll, describe } from 'vitest'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, chownSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePorts } from './influxd.ts'
import { programAvailable } from './programs.ts'

/**
 * A real PostgreSQL 15 for tests: Debian's `postgresql` package, one server per test file on a
 * free loopback port with a temporary data directory, as docs/toolchain.md ("PostgreSQL and NATS
 * in tests") describes. initdb and pg_ctl refuse to run as root, so as root they run as the
 * `postgres` user (runuser); the socket goes to the temp dir, never /var/run/postgresql.
 */

const run = promisify(execFile)

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'
export const POSTGRES_HINT = `PostgreSQL 15 is not installed (no initdb/pg_ctl/postgres in ${PG_BIN}): run "apt-get install -y postgresql"`

export function findPostgres(): string | undefined {
  try {
    for (const b of ['initdb', 'pg_ctl', 'postgres']) accessSync(join(PG_BIN, b), constants.X_OK)
    return PG_BIN
  } catch {
    return undefined
  }
}

/**
 * Whether the PostgreSQL tests can run. In CI (CI=true) a missing PostgreSQL is an error that
 * fails the file; locally the tests are skipped, saying how to install it.
 */
export function postgresAvailable(): boolean {
  return programAvailable(findPostgres() !== undefined, POSTGRES_HINT, 'PostgreSQL tests')
}

/** `describe` for tests that need a real PostgreSQL: skipped with a hint where none is installed, an error in CI. */
export const describeWithPostgres = (name: string, body: () => void) => describe.skipIf(!postgresAvailable())(name, body)

export interface Postgres {
  readonly port: number
  readonly dir: string
  /** `postgres://postgres@127.0.0.1:<port>/<db>` */
  url(db?: string): string
  /** a new, empty database; returns its URL */
  createDatabase(): Promise<string>
  /** runs one statement on `db` (default `postgres`) as the superuser */
  query(sql: string, params?: unknown[], db?: string): Promise<pg.QueryResult>
  /** ends every connection to `db` except the caller's: a network cut as the store sees it */
  terminateConnections(db: string): Promise<number>
  /** `pg_ctl -m fast stop`, keeping the data directory */
  stop(): Promise<void>
  /** starts again on the same directory and port */
  start(): Promise<void>
  /** stops and removes the directory */
  destroy(): Promise<void>
}

const asRoot = process.getuid?.() === 0
/** runs a PostgreSQL binary, as the `postgres` user when we are root */
function pgBin(bin: string, args: string[]) {
  const file = join(PG_BIN, bin)
  return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args)
}

/** Data directories of servers still running, stopped with an immediate shutdown if the process exits first. */
const running = new Set<string>()
process.once('exit', () => {
  for (const data of running) {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
      if (pid > 0) process.kill(pid, 'SIGQUIT')
    } catch {
      // already gone
    }
  }
})

export async function startPostgres(): Promise<Postgres> {
  const bin = findPostgres()
  if (!bin) throw new Error(POSTGRES_HINT)
  const dir = mkdtempSync(join(tmpdir(), 'sw-pg-'))
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const data = join(dir, 'data')
  try {
    // --no-sync: a test cluster need not survive a power cut; it saves seconds on a busy disk.
    await pgBin('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'])
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr ?? String(err)}`)
  }
  let lastErr: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const [port] = await freePorts(1)
    try {
      return await launch(dir, data, port!)
    } catch (err) {
      lastErr = err // most likely a port taken between finding and binding it: try another
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw lastErr
}

async function launch(dir: string, data: string, port: number): Promise<Postgres> {
  const log = join(dir, 'postgres.log')
  // fsync off: durability against an OS crash is PostgreSQL's business, not what these tests check.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`
  let up = false
  const start = async () => {
    try {
      await pgBin('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', '-t', '30', 'start'])
    } catch (err) {
      let tail = ''
      try {
        tail = readFileSync(log, 'utf8').split('\n').slice(-10).join('\n')
      } catch {
        // no log yet
      }
      throw new Error(`pg_ctl start failed on port ${port}: ${(err as { stderr?: string }).stderr ?? String(err)}\n${tail}`)
    }
    running.add(data)
    up = true
  }
  const stop = async () => {
    if (!up) return
    up = false
    await pgBin('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined)
    running.delete(data)
  }
  await start()

  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`
  const query = async (sql: string, params: unknown[] = [], db = 'postgres') => {
    const c = new pg.Client({ connectionString: url(db) })
    await c.connect()
    try {
      return await c.query(sql, params)
    } finally {
      await c.end()
    }
  }
  return {
    port,
    dir,
    url,
    query,
    async createDatabase() {
      const name = `test_${randomBytes(6).toString('hex')}`
      await query(`CREATE DATABASE ${name}`)
      return url(name)
    },
    async terminateConnections(db) {
      const r = await query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db])
      return r.rowCount ?? 0
    },
    stop,
    start,
    async destroy() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface PostgresFixture {
  /** the enclosing describe's server, started before its first test */
  readonly postgres: Postgres
  /** a fresh database for the current test; returns its URL */
  database(): Promise<string>
  /** runs after the current test, newest first (close a store) */
  cleanup(...fns: (() => unknown)[]): void
}

/** One PostgreSQL server for the enclosing describe, a fresh database per test; each test's cleanups run after it. */
export function usePostgres(): PostgresFixture {
  let server: Postgres | undefined
  const cleanups: (() => unknown)[] = []
  beforeAll(async () => {
    server = await startPostgres()
  }, 60_000)
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined)
  })
  afterAll(async () => {
    await server?.destroy()
  })
  const get = () => {
    if (!server) throw new Error('PostgreSQL is started in beforeAll: use it inside a test or hook')
    return server
  }
  return {
    get postgres() {
      return get()
    },
    database: () => get().createDatabase(),
    cleanup: (...fns) => void cleanups.push(...fns),
  }
}
