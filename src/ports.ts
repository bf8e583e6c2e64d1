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

export interface StoreHealth { kind: 'influx' | 'embedded' | 'postgres'; ok: boolean; spooled: number; error?: string }

/** Where readings go: the embedded store by default, InfluxDB when configured. */
export interface ReadingStore {
  readonly kind: 'influx' | 'embedded' | 'postgres'
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

/**
 * The audit trail, rejects and live snapshots. Part of the StateStore: appends are queued (ingest
 * never waits on a read from here), queries return Promises.
 */
export interface RecordStore {
  appendEvents(events: AuditEvent[]): void
  queryEvents(q: EventQuery): Promise<AuditEvent[]>
  appendReject(r: Reject): void
  queryRejects(limit: number): Promise<Reject[]>
  /** `snap` is called when the batch is cut, so many changes cost one serialisation. */
  saveSnapshot(station: string, snap: () => StationSnapshot): void
  /**
   * the latest snapshot of every station (or of `only` these), read at start-up to restore the live
   * state, and in cluster mode for the stations of a partition taken over
   */
  loadSnapshots(only?: readonly string[]): Promise<Map<string, StationSnapshot>>
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
 * PostgreSQL adapter of cluster mode implements the same port. Reads and read-then-write steps
 * return Promises (see StateStore); writes that return nothing are queued.
 */
export interface AccountStore {
  findUser(username: string): Promise<StoredUser | undefined>
  /** false when the username is taken (one atomic insert: two concurrent creations, one winner) */
  insertUser(user: StoredUser): Promise<boolean>
  /** changes what is given; `stations: null` lifts the station scope */
  updateUser(username: string, change: { passwordHash?: string; role?: Role; stations?: string[] | null }): void
  listUsers(): Promise<StoredUser[]>
  insertSession(s: { tokenHash: string; username: string; expiresAt: number; createdAt: number }): void
  /** the live session of a token hash, with its user's current role and station scope */
  findSession(tokenHash: string, now: number): Promise<{ user: { name: string; role: Role; stations?: string[] }; expiresAt: number } | undefined>
  deleteSession(tokenHash: string): void
  /** deletes all but the newest `keep` sessions of a user, in one step; resolves to the token hashes deleted */
  trimSessions(username: string, keep: number): Promise<string[]>
  deleteExpiredSessions(now: number): Promise<number>
}

/** A display token (contract v2 §E) as kept: the token itself only as its hash. */
export interface StoredDisplayToken { id: string; tokenHash: string; name: string; stations: string[]; createdAt: number; createdBy: string }

/** Display tokens for wall screens: read-only, revocable principals limited to some stations. */
export interface DisplayTokenStore {
  /** false when `max` tokens exist already (checked and inserted as one step) */
  insert(t: StoredDisplayToken, max: number): Promise<boolean>
  findByHash(tokenHash: string): Promise<StoredDisplayToken | undefined>
  /** oldest first */
  list(): Promise<StoredDisplayToken[]>
  /** the token removed, or undefined when there was none with that id */
  remove(id: string): Promise<StoredDisplayToken | undefined>
}

/**
 * Everything the service keeps of its own (not the readings): users and sessions, alerts and
 * incidents, the audit trail and rejects, live snapshots, the ledger, the notification log, the
 * routine. The embedded SQLite file implements it; cluster mode's PostgreSQL adapter does too, so
 * the port is shaped for a store across the network:
 *
 * - every sub-store method that returns a value returns a Promise of it (the SQLite adapter
 *   answers with an already resolved one: its reads stay microseconds on the event loop);
 * - a method that returns nothing (`void`) stays synchronous: it queues a write, and
 *   `committed()` resolves once every write queued so far is durable;
 * - a read sees every write queued before it (read your own writes), committed or not yet;
 * - a step that reads and then writes and must not be interleaved (a ledger transaction, a user
 *   insert that reports whether it won, trimming a user's sessions) is one method, atomic in the
 *   adapter (one transaction), and returns a Promise.
 *
 * Callers that decide on what they read (alert acknowledgement, ledger operations, drills,
 * inspections) keep their decision atomic either through such a method or by running one step
 * per key at a time (`KeyedSerial`); each says why where it does. The ingest path reads nothing
 * from here: the live state it needs is in memory (restored once at start).
 */
export interface StateStore {
  readonly kind: 'embedded' | 'postgres'
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
 * are), written on each change. A change is seen by the next read at once and is durable once
 * `committed()` resolves: the embedded store commits before it returns, a networked store queues
 * the change (with its audit event, in one transaction) and commits it soon after, so the API
 * answers a change only after `committed()`.
 */
export interface StationStore {
  loadStations(): Promise<StoredStation[]>
  /** the station and the audit event of its change, in one transaction, in the order of changes */
  saveStation(station: StoredStation, audit: AuditEvent): void
  /** forgets a station's API version (its file won), with the audit event, in one transaction */
  dropStation(id: string, audit: AuditEvent): void
  /** resolves once every change so far is committed; rejects when the store could not commit it */
  committed(): Promise<void>
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
