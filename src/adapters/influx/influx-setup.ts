import { escape, type InfluxDB } from 'influx'

/** Our retention policy's name; its duration comes from INFLUX_RETENTION. */
export const RETENTION_POLICY = 'stationwatch'

export interface SetupResult {
  action: 'created' | 'altered' | 'unchanged'
  duration: string
}

/**
 * Creates the database if missing, and our retention policy as its default: created when
 * missing, altered (never dropped and re-created, which would delete its data) when it exists
 * with another duration or is not the default.
 */
export async function ensureDatabase(client: InfluxDB, database: string, retention: string): Promise<SetupResult> {
  await client.createDatabase(database) // CREATE DATABASE is a no-op when it exists
  const policies = await client.showRetentionPolicies(database)
  const ours = policies.find((p) => p.name === RETENTION_POLICY)
  const duration = normalizeDuration(retention)
  const wantSeconds = durationSeconds(duration)
  if (!ours) {
    await ddl(client, `CREATE RETENTION POLICY ${escape.quoted(RETENTION_POLICY)} ON ${escape.quoted(database)} DURATION ${duration} REPLICATION 1 DEFAULT`)
    return { action: 'created', duration }
  }
  const hasSeconds = durationSeconds(ours.duration)
  if (hasSeconds === wantSeconds && ours.default) return { action: 'unchanged', duration }
  // A shard group may not be longer than the policy: shorten it along with a shorter duration.
  const shard = wantSeconds > 0 && durationSeconds(ours.shardGroupDuration) > wantSeconds ? ` SHARD DURATION ${defaultShardDuration(wantSeconds)}` : ''
  await ddl(client, `ALTER RETENTION POLICY ${escape.quoted(RETENTION_POLICY)} ON ${escape.quoted(database)} DURATION ${duration} REPLICATION 1${shard} DEFAULT`)
  return { action: 'altered', duration }
}

async function ddl(client: InfluxDB, q: string): Promise<void> {
  const res = (await client.queryRaw(q, { method: 'POST' })) as { results?: { error?: string }[]; error?: string }
  const err = res.error ?? res.results?.find((r) => r.error)?.error
  if (err) throw new Error(`InfluxDB refused "${q}": ${err}`)
}

/** `365d`, `52w`, `8760h` or `INF` (validated by the env schema); anything else is refused. */
export function normalizeDuration(d: string): string {
  if (/^inf$/i.test(d)) return 'INF'
  if (!/^\d+[hdw]$/.test(d)) throw new Error(`INFLUX_RETENTION=${d}: must be INF or a duration like 365d`)
  return d
}

/** Seconds in an InfluxQL duration such as `8760h0m0s`, `365d`, `INF`/`0s` (= 0, forever). */
export function durationSeconds(d: string): number {
  if (/^inf$/i.test(d)) return 0
  const units: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001, u: 1e-6, µ: 1e-6, ns: 1e-9 }
  let total = 0
  for (const m of d.matchAll(/(\d+)(ms|ns|u|µ|w|d|h|m|s)/g)) total += Number(m[1]) * units[m[2]!]!
  return Math.round(total)
}

/** InfluxDB's own choice for a policy of this length. */
function defaultShardDuration(seconds: number): string {
  if (seconds < 2 * 86400) return '1h'
  if (seconds <= 180 * 86400) return '1d'
  return '7d'
}
