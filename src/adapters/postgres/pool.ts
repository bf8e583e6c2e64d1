import pg from 'pg'

/**
 * bigint (int8) columns come back as numbers: they hold ms timestamps and counts, far below 2^53.
 * Set on this pool's type table only, so nothing else sharing the `pg` module is changed.
 */
const INT8_OID = 20
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === INT8_OID) return (v: string) => Number(v)
    const parser: unknown = pg.types.getTypeParser(oid, format)
    return parser
  }) as typeof pg.types.getTypeParser,
}

export interface PoolOptions {
  url: string
  /** connections, shared by the writer (one at a time) and the reads */
  max?: number
  /** an idle connection broke (the server restarted, the network cut it); the pool replaces it */
  onIdleError?: (err: Error) => void
}

export function createPool(opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 6,
    // A server that does not answer is reported in seconds rather than hanging a commit for ever.
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    types,
  })
  // Without a listener, an idle client's error would be thrown as an uncaught exception.
  pool.on('error', (err) => opts.onIdleError?.(err))
  return pool
}

/** SQLSTATEs after which the same statements may succeed on a new connection. */
const TRANSIENT = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01'])

/**
 * Whether an error is the connection's rather than the statement's: a refused or cut connection,
 * a server shutting down or starting, a serialisation conflict. Those are retried; a statement the
 * server refuses (a constraint, bad SQL) would be refused again.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return (err.code ?? '').startsWith('08') || TRANSIENT.has(err.code ?? '')
  return err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)
}

/** PostgreSQL text cannot hold NUL: a device's bytes must not make a commit fail. */
export function text(s: string): string
export function text(s: string | null | undefined): string | null
export function text(s: string | null | undefined): string | null {
  if (s === undefined || s === null) return null
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s
}

/** JSON for a jsonb column (which refuses \u0000 too); undefined is NULL. */
export function json(v: unknown): string | null {
  if (v === undefined) return null
  const s = JSON.stringify(v)
  return s.includes('\\u0000') ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' ? text(x) : x)) : s
}

/**
 * Runs `fn` in one transaction on a connection of its own: COMMIT if it resolves, ROLLBACK if it
 * throws (and the error is passed on). A connection that failed is not given back to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // A checked-out client has no pool listener: a connection lost now would be an uncaught 'error'
  // (the query in progress gets the error too, and that is what is reported).
  let lost: Error | undefined
  const onError = (err: Error) => (lost = err)
  client.on('error', onError)
  let failed: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err))
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    client.removeListener('error', onError)
    client.release(failed ?? lost)
  }
}
