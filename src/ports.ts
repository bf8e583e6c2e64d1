import type { AuditEvent } from './domain/audit-event.ts'
import type { StationSnapshot } from './domain/station-state.ts'

/** Measurement names and tag/field sets of contract §7; the embedded store mirrors them. */
export type Measurement = 'door' | 'key' | 'item' | 'device' | 'alert'

export interface Point {
  measurement: Measurement
  /** server receive time, ms since the epoch */
  t: number
  station: string
  /** `door:main`, `key:key-main-1`, …; what history is asked by */
  subject: string
  tags: Record<string, string>
  fields: Record<string, number | boolean | string | null>
}

export interface HistoryQuery {
  station: string
  subject: string
  from: number
  to: number
  /** bucket width in ms; each bucket reports its last value */
  step?: number
  limit: number
  /** presence and open/closed come back as booleans, counts as numbers */
  valueType: 'boolean' | 'number'
}

export interface HistoryPoint { t: number; v: boolean | number | null }

export interface StoreHealth { kind: 'influx' | 'embedded'; ok: boolean; spooled: number; error?: string }

/** Where readings go: the embedded store by default, InfluxDB when configured. */
export interface ReadingStore {
  readonly kind: 'influx' | 'embedded'
  /** Queues points; written in batches, never one disk write per message. */
  write(points: Point[]): void
  history(q: HistoryQuery): Promise<HistoryPoint[]>
  /** Forces what is queued to be written now, and resolves when it is durable. */
  flush(): Promise<void>
  /**
   * Resolves when everything queued so far is durable (committed, or spooled and
   * fsync'd), in the store's own group-commit rhythm; QoS 1 PUBACKs wait for it.
   */
  durable(): Promise<void>
  /** Points written so far; the points of one message are the range `(before, after]` of it. */
  position(): number
  /**
   * Whether every point of `(from, to]` was kept, asked once `durable()` covers them: false when
   * the store dropped one (a full InfluxDB spool), and the message must not be acknowledged.
   */
  kept(from: number, to: number): boolean
  health(): StoreHealth
  close(): Promise<void>
}

export interface EventQuery { station: string; from?: number; to?: number; limit: number; kinds?: string[]; subject?: string; user?: string }
export interface Reject { t: number; device: string; topic: string; reason: string }

/** The service's own records: always in the embedded database under DATA_DIR. */
export interface RecordStore {
  appendEvents(events: AuditEvent[]): void
  queryEvents(q: EventQuery): AuditEvent[]
  appendReject(r: Reject): void
  queryRejects(limit: number): Reject[]
  /** `snap` is called when the batch is cut, so many changes cost one serialisation. */
  saveSnapshot(station: string, snap: () => StationSnapshot): void
  loadSnapshots(): Map<string, StationSnapshot>
  /** resolves once everything appended so far is committed (before a read that must see it) */
  flush(): Promise<void>
}

export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() }

/** Timers, injectable so tests can drive rule deadlines with a fake clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}
