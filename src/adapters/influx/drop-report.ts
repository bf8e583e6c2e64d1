import type { Logger } from 'pino'
import { formatBytes } from './spool-format.ts'
import type { DropReason, InfluxStoreObserver } from './store-options.ts'

/** Readings dropped for good: counted for the metrics, logged loudly but at most once per reason every 10 s. */
export class DropReport {
  private readonly logged = new Map<string, { count: number; lastLogged: number }>()

  constructor(
    private readonly o: { log: Logger; observer: InfluxStoreObserver | undefined; spoolMaxBytes: number; changed: () => void },
  ) {}

  dropped(points: number, reason: DropReason, detail: string): void {
    if (points <= 0) return
    this.o.observer?.dropped(points, reason)
    const entry = this.logged.get(reason) ?? { count: 0, lastLogged: 0 }
    entry.count += points
    const now = Date.now()
    if (now - entry.lastLogged >= 10_000) {
      const msg =
        reason === 'rejected'
          ? 'InfluxDB rejected points of a batch (the valid ones were stored)'
          : reason === 'spool-full'
            ? `InfluxDB spool is over its limit of ${formatBytes(this.o.spoolMaxBytes)} (INFLUX_SPOOL_MAX_MB): readings are being DROPPED until InfluxDB is back`
            : 'readings dropped: they cannot be written to InfluxDB'
      this.o.log.error({ reason, points: entry.count, detail }, msg)
      entry.count = 0
      entry.lastLogged = now
    }
    this.logged.set(reason, entry)
    this.o.changed()
  }
}
