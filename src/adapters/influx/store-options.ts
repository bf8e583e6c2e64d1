import type { Logger } from 'pino'
import type { InfluxTarget } from './influx-url.ts'

export type DropReason = 'spool-full' | 'spool-unwritable' | 'spool-corrupt' | 'rejected' | 'invalid' | 'closed'

/** What the store reports as it works; the factory turns it into Prometheus metrics. */
export interface InfluxStoreObserver {
  /** a batch InfluxDB accepted */
  written(seconds: number, points: number): void
  /** spool depth (points), its undrained bytes, and whether the size limit cut readings off */
  spool(depth: number, bytes: number, overLimit: boolean): void
  dropped(points: number, reason: DropReason): void
  writeFailed(kind: 'retry' | 'missing-database' | 'rejected'): void
}

export interface InfluxStoreOptions {
  target: InfluxTarget
  /** INFLUX_RETENTION */
  retention: string
  /** the spool lives in `<dataDir>/influx-spool` */
  dataDir: string
  spoolMaxBytes: number
  log: Logger
  observer?: InfluxStoreObserver
  /** points per write */
  batchSize?: number
  /** the longest a point waits in memory for its batch to fill */
  flushIntervalMs?: number
  /** a write taking longer than this has what it carries (and what waits behind it) spooled */
  spillAfterMs?: number
  /** a write is abandoned (and retried from the spool) after this */
  writeTimeoutMs?: number
  /** points waiting in memory behind a slow write before they are spooled anyway */
  maxBufferedPoints?: number
  retryMinMs?: number
  retryMaxMs?: number
  /** how often InfluxDB is pinged while nothing else tells whether it is there */
  pingIntervalMs?: number
  /** how often InfluxDB is pinged while a retry of the spool waits, so the drain starts as soon as it is back */
  recoveryPingMs?: number
  queryTimeoutMs?: number
}

export type InfluxStoreSettings = Required<Omit<InfluxStoreOptions, 'observer'>> & { observer: InfluxStoreObserver | undefined }

export function withDefaults(opts: InfluxStoreOptions): InfluxStoreSettings {
  return {
    batchSize: 5000,
    flushIntervalMs: 250,
    spillAfterMs: 2000,
    writeTimeoutMs: 10_000,
    maxBufferedPoints: 50_000,
    retryMinMs: 250,
    retryMaxMs: 5000,
    pingIntervalMs: 5000,
    recoveryPingMs: 250,
    queryTimeoutMs: 10_000,
    ...opts,
    observer: opts.observer,
  }
}
