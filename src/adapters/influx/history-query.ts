import { escape, type InfluxDB } from 'influx'
import { AppError } from '../../domain/errors.ts'
import type { HistoryPoint, HistoryQuery } from '../../ports.ts'
import { RETENTION_POLICY } from './influx-setup.ts'
import { seriesOf } from './schema.ts'

/** InfluxDB's time is int64 nanoseconds: it ends in the year 2262. */
const MAX_TIME_MS = 9_000_000_000_000

/** What the history query needs of the connection: the client, once the database is set up. */
export interface HistorySource {
  readonly client: InfluxDB
  readonly ready: boolean
  ensureSetup(): Promise<void>
}

/** One subject's history from InfluxDB (contract §7): raw points, or the last value of each `step`. */
export async function queryHistory(source: HistorySource, q: HistoryQuery): Promise<HistoryPoint[]> {
  const s = seriesOf(q)
  if (!s) return []
  const int = (n: number, name: string) => {
    if (!Number.isFinite(n)) throw new AppError('BAD_REQUEST', `${name}: must be a number`)
    return Math.min(MAX_TIME_MS, Math.max(0, Math.floor(n)))
  }
  const from = int(q.from, 'from')
  const to = int(q.to, 'to')
  const limit = Math.max(1, int(q.limit, 'limit'))
  const step = q.step === undefined ? undefined : Math.max(1, int(q.step, 'step'))
  // Identifiers quoted by the client's escaper ("key" is an InfluxQL keyword); the station and
  // subject ids are bound parameters, never pasted into the query; numbers are integers we made.
  const field = escape.quoted(s.field)
  const query =
    `SELECT ${step ? `last(${field})` : field} FROM ${escape.quoted(RETENTION_POLICY)}.${escape.quoted(s.measurement)}` +
    ` WHERE "station" = $station AND ${escape.quoted(s.tag)} = $id AND time >= ${from}ms AND time < ${to + 1}ms` +
    (step ? ` GROUP BY time(${step}ms) fill(none)` : '') +
    ` ORDER BY time ASC LIMIT ${limit}`
  let res: { results?: { error?: string; series?: { values?: [number, unknown][] }[] }[]; error?: string }
  try {
    if (!source.ready) await source.ensureSetup()
    res = (await source.client.queryRaw(query, { placeholders: { station: q.station, id: s.id }, precision: 'ms' })) as typeof res
  } catch (err) {
    throw new AppError('STORE_UNAVAILABLE', `history is not available: InfluxDB did not answer (${(err as Error).message})`)
  }
  const result = res.results?.[0]
  const error = res.error ?? result?.error
  if (error) throw new AppError('STORE_UNAVAILABLE', `history is not available: InfluxDB refused the query (${error})`)
  const points: HistoryPoint[] = []
  for (const series of result?.series ?? []) {
    for (const [t, v] of series.values ?? []) points.push({ t, v: decode(v, q.valueType) })
  }
  return points
}

function decode(v: unknown, valueType: HistoryQuery['valueType']): boolean | number | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return valueType === 'boolean' ? v : v ? 1 : 0
  if (typeof v === 'number') return valueType === 'boolean' ? v !== 0 : v
  return null
}
