import type { Logger } from 'pino'
import { EmbeddedStateStore } from '../adapters/embedded/state-store.ts'
import { PartitionProgress } from '../adapters/postgres/partition-progress.ts'
import { PostgresReadingStore } from '../adapters/postgres/reading-store.ts'
import { PostgresStateStore } from '../adapters/postgres/state-store.ts'
import type { Env } from '../config/env.ts'
import type { Part } from '../lifecycle.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { ReadingStore, StateStore } from '../ports.ts'
import { createReadingStore } from './reading-store.ts'

export interface Stores {
  state: StateStore & Part
  readings: ReadingStore
  /** cluster mode: how far each partition of the readings stream is applied */
  progress?: PartitionProgress
  /** cluster mode: `cluster.database` of /api/health */
  databaseHealth?: () => { ok: boolean; error?: string }
}

/**
 * The state store and the reading store. Single process: the SQLite file under DATA_DIR, readings
 * there too or in InfluxDB. Cluster mode (DATABASE_URL): PostgreSQL, migrated on open; readings
 * in InfluxDB when INFLUX_URL is set, else in PostgreSQL through the same group commit.
 */
export async function openStores(env: Env, deps: { metrics: Metrics; log: Logger; onFatal: (err: Error) => void }): Promise<Stores> {
  const { metrics, log } = deps
  const fatal = (err: Error) => (log.fatal({ err }, 'the store cannot commit: no more readings are acknowledged'), deps.onFatal(err))
  if (env.DATABASE_URL) {
    const state = await PostgresStateStore.open({
      url: env.DATABASE_URL,
      onCommit: (ms, rows) => (metrics.storeWrite.observe({ store: 'postgres' }, ms / 1000), metrics.storeBatch.observe({ store: 'postgres' }, rows)),
      onRetry: (err, attempt) => log.warn({ err, attempt }, 'PostgreSQL commit retried'),
      onFailure: fatal,
      log: (msg) => log.debug({ migrate: msg }, 'node-pg-migrate'),
    })
    try {
      const readings = env.INFLUX_URL
        ? await createReadingStore(env, { db: undefined as never, writer: undefined as never, metrics, log })
        : new PostgresReadingStore(state.pool, state.writer)
      return { state, readings, progress: new PartitionProgress(state.pool, state.writer), databaseHealth: () => state.health() }
    } catch (err) {
      await state.stop()
      throw err
    }
  }
  const state = new EmbeddedStateStore({
    dataDir: env.DATA_DIR,
    onCommit: (ms, rows) => (metrics.storeWrite.observe({ store: 'embedded' }, ms / 1000), metrics.storeBatch.observe({ store: 'embedded' }, rows)),
    onFailure: fatal,
  })
  try {
    return { state, readings: await createReadingStore(env, { db: state.db, writer: state.writer, metrics, log }) }
  } catch (err) {
    await state.stop()
    throw err
  }
}
