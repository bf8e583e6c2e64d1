import type { AlertStore } from './alerts/alert-store.ts'
import type { Role } from './auth/roles.ts'
import type { LedgerStore } from './ledger/ledger-store.ts'
import type { DeliveryLog } from './notify/ports.ts'
import type { RoutineStore } from './routine/routine-store.ts'
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

/** A stored user: the password only as its slow hash. */
export interface StoredUser { name: string; role: Role; passwordHash: string; createdAt: number; /** absent: every station */ stations?: string[] }

/**
 * Users and login sessions (tokens only as hashes). Part of the state store: SQLite today; the
 * PostgreSQL adapter of cluster mode implements the same port.
 */
export interface AccountStore {
  findUser(username: string): StoredUser | undefined
  /** false when the username is taken */
  insertUser(user: StoredUser): boolean
  /** changes what is given; `stations: null` lifts the station scope */
  updateUser(username: string, change: { passwordHash?: string; role?: Role; stations?: string[] | null }): void
  listUsers(): StoredUser[]
  insertSession(s: { tokenHash: string; username: string; expiresAt: number; createdAt: number }): void
  /** the live session of a token hash, with its user's current role and station scope */
  findSession(tokenHash: string, now: number): { user: { name: string; role: Role; stations?: string[] }; expiresAt: number } | undefined
  deleteSession(tokenHash: string): void
  /** deletes all but the newest `keep` sessions of a user; returns the token hashes deleted */
  trimSessions(username: string, keep: number): string[]
  deleteExpiredSessions(now: number): number
}

/** A display token (contract v2 §E) as kept: the token itself only as its hash. */
export interface StoredDisplayToken { id: string; tokenHash: string; name: string; stations: string[]; createdAt: number; createdBy: string }

/** Display tokens for wall screens: read-only, revocable principals limited to some stations. */
export interface DisplayTokenStore {
  /** false when `max` tokens exist already (checked and inserted as one step) */
  insert(t: StoredDisplayToken, max: number): boolean
  findByHash(tokenHash: string): StoredDisplayToken | undefined
  /** oldest first */
  list(): StoredDisplayToken[]
  /** the token removed, or undefined when there was none with that id */
  remove(id: string): StoredDisplayToken | undefined
}

/**
 * Everything the service keeps of its own (not the readings): users and sessions, alerts and
 * incidents, the audit trail and rejects, live snapshots, the ledger, the notification log. The
 * embedded SQLite file implements it today; cluster mode's PostgreSQL adapter will. Reads are
 * synchronous today (SQLite answers in microseconds on the event loop); see docs/architecture.md
 * for what a networked store changes.
 */
export interface StateStore {
  readonly kind: 'embedded'
  readonly records: RecordStore
  readonly alerts: AlertStore
  readonly accounts: AccountStore
  /** wall-screen display tokens (contract v2 §E) */
  readonly displayTokens: DisplayTokenStore
  readonly ledger: LedgerStore
  readonly deliveries: DeliveryLog
  /** inspection runs, trainings and drills (contract v2 §D) */
  readonly routine: RoutineStore
  /** stations made or changed through the API (contract v2 §E) */
  readonly stations: StationStore
  /** resolves once every write so far is committed; a PUBACK waits for it with the reading store's */
  committed(): Promise<void>
}

/** A station's configuration as the API last made it (contract v2 §E). */
export interface StoredStation {
  id: string
  /** the station-file form, devices with their `secretHash`; checked again when loaded */
  config: unknown
  /**
   * The hash of the station file's configuration this version was made from (so that a file
   * changed since on disk wins); null for a station created through the API.
   */
  fileHash: string | null
  updatedAt: number
  updatedBy: string
}

/**
 * Stations made or changed through the API: read once at start (async, as a networked store's reads
 * are), written on each change.
 */
export interface StationStore {
  loadStations(): Promise<StoredStation[]>
  /** the station and the audit event of its change, in one transaction (committed on return) */
  saveStation(station: StoredStation, audit: AuditEvent): void
  /** forgets a station's API version (its file won), with the audit event, in one transaction */
  dropStation(id: string, audit: AuditEvent): void
}

/**
 * Where device messages come from: the embedded MQTT broker today (adapters/mqtt), a NATS
 * JetStream consumer in cluster mode. A source hands each message to ingest and acknowledges it
 * to its sender only once what it wrote is durable (the reading store's and the state store's
 * commit), so an acknowledged reading is never lost.
 */
export interface IngestSource {
  readonly kind: 'mqtt' | 'jetstream'
  /** devices connected through this source now */
  connectedDevices(): number
}
