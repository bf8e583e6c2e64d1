import type { Logger } from 'pino'
import { ConfigError, type Env } from '../config/env.ts'
import { createInfluxStoreMetrics, type Metrics } from '../observability/metrics.ts'
import type { ReadingStore } from '../ports.ts'
import type { BatchWriter } from '../adapters/embedded/batch-writer.ts'
import type { Db } from '../adapters/embedded/database.ts'
import { EmbeddedReadingStore } from '../adapters/embedded/embedded-reading-store.ts'
import { InfluxReadingStore } from '../adapters/influx/influx-reading-store.ts'
import { parseInfluxUrl } from '../adapters/influx/influx-url.ts'


/** The store readings go to: InfluxDB when INFLUX_URL is set, else the embedded SQLite file. */
export async function createReadingStore(env: Env, deps: { db: Db; writer: BatchWriter; metrics: Metrics; log: Logger }): Promise<ReadingStore> {
  if (!env.INFLUX_URL) return new EmbeddedReadingStore(deps.db, deps.writer)

  let target
  try {
    target = parseInfluxUrl(env.INFLUX_URL)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  const spoolMaxMb = env.INFLUX_SPOOL_MAX_MB
  const { metrics } = deps
  const extra = createInfluxStoreMetrics(metrics.registry)
  extra.spoolLimit.set(spoolMaxMb * 1024 * 1024)
  const log = deps.log.child({ store: 'influx' })
  const store = await InfluxReadingStore.open({
    target,
    retention: env.INFLUX_RETENTION,
    dataDir: env.DATA_DIR,
    spoolMaxBytes: Math.floor(spoolMaxMb * 1024 * 1024),
    log,
    observer: {
      written: (seconds, points) => {
        metrics.storeWrite.observe({ store: 'influx' }, seconds)
        metrics.storeBatch.observe({ store: 'influx' }, points)
      },
      spool: (depth, bytes, overLimit) => {
        metrics.spool.set(depth)
        extra.spoolBytes.set(bytes)
        extra.spoolOverLimit.set(overLimit ? 1 : 0)
      },
      dropped: (points, reason) => extra.dropped.inc({ store: 'influx', reason }, points),
      writeFailed: (kind) => extra.writeErrors.inc({ store: 'influx', kind }),
    },
  })
  log.info({ influx: target.display, retention: env.INFLUX_RETENTION, spoolMaxMb }, 'readings go to InfluxDB')
  return store
}
