import type { Logger } from 'pino'
import type { Env } from '../config/env.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { ReadingStore } from '../ports.ts'
import type { BatchWriter } from './embedded/batch-writer.ts'
import type { Db } from './embedded/database.ts'
import { EmbeddedReadingStore } from './embedded/embedded-reading-store.ts'

/** The store readings go to: InfluxDB when INFLUX_URL is set, else the embedded SQLite file. */
export async function createReadingStore(env: Env, deps: { db: Db; writer: BatchWriter; metrics: Metrics; log: Logger }): Promise<ReadingStore> {
  return new EmbeddedReadingStore(deps.db, deps.writer)
}
