import type { AuditEvent } from '../../domain/audit-event.ts'
import type { StationSnapshot } from '../../domain/station-state.ts'
import type { EventQuery, RecordStore, Reject } from '../../ports.ts'
import type { BatchWriter } from './batch-writer.ts'
import type { Db } from './database.ts'

const REJECTS_KEPT = 10_000

interface EventRow { t: number; station: string; kind: string; subject: string; device: string; user: string | null; value: string | null; detail: string | null; incident: string | null }

/** Audit events, rejects and the live snapshot, written through the shared batch writer. */
export class EmbeddedRecordStore implements RecordStore {
  private readonly insertEvent
  private readonly insertReject
  private readonly upsertLive
  private readonly pruneRejects
  private rejectsSincePrune = 0

  constructor(
    private readonly db: Db,
    private readonly writer: BatchWriter,
  ) {
    this.insertEvent = writer.table('events', 'INSERT INTO events (t, station, kind, subject, device, user, value, detail, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [6])
    this.insertReject = writer.table('rejects', 'INSERT INTO rejects (t, device, topic, reason) VALUES (?, ?, ?, ?)')
    this.pruneRejects = writer.table('prune-rejects', 'DELETE FROM rejects WHERE id <= (SELECT max(id) FROM rejects) - ?')
    this.upsertLive = writer.latest('live', 'INSERT INTO live (station, snapshot, updated) VALUES (?, ?, ?) ON CONFLICT (station) DO UPDATE SET snapshot = excluded.snapshot, updated = excluded.updated', [1])
  }

  appendEvents(events: AuditEvent[]): void {
    for (const e of events) {
      this.insertEvent([e.t, e.station, e.kind, e.subject, e.device, e.user ?? null, e.value, e.detail ?? null, e.incident ?? null])
    }
  }

  async queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    this.flushNow()
    const where = ['station = ?']
    const args: (string | number)[] = [q.station]
    if (q.from !== undefined) (where.push('t >= ?'), args.push(q.from))
    if (q.to !== undefined) (where.push('t <= ?'), args.push(q.to))
    if (q.subject) (where.push('subject = ?'), args.push(q.subject))
    if (q.user) (where.push('user = ?'), args.push(q.user))
    if (q.kinds?.length) (where.push(`kind IN (${q.kinds.map(() => '?').join(',')})`), args.push(...q.kinds))
    const rows = this.db.prepare<unknown[], EventRow>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY t DESC, id DESC LIMIT ?`).all(...args, q.limit)
    return rows.map((r) => ({
      t: r.t,
      station: r.station,
      kind: r.kind as AuditEvent['kind'],
      subject: r.subject,
      device: r.device,
      ...(r.user !== null ? { user: r.user } : {}),
      ...(r.value !== null ? { value: JSON.parse(r.value) as number | string } : {}),
      ...(r.detail !== null ? { detail: r.detail } : {}),
      ...(r.incident !== null ? { incident: r.incident } : {}),
    }))
  }

  appendReject(r: Reject): void {
    this.insertReject([r.t, r.device, r.topic, r.reason])
    // Rejects are a diagnostic window, not an archive: keep the newest ones only.
    if (++this.rejectsSincePrune >= 1000) {
      this.rejectsSincePrune = 0
      // Queued like any write: it runs after the rejects queued before it (tables are committed in order).
      this.pruneRejects([REJECTS_KEPT])
    }
  }

  async queryRejects(limit: number): Promise<Reject[]> {
    this.flushNow()
    return this.db.prepare<[number], Reject>('SELECT t, device, topic, reason FROM rejects ORDER BY id DESC LIMIT ?').all(limit)
  }

  saveSnapshot(station: string, snap: () => StationSnapshot): void {
    // The snapshot object is copied to the writer thread as the batch is cut, and serialized there.
    this.upsertLive(station, () => [station, snap(), Date.now()])
  }

  async loadSnapshots(only?: readonly string[]): Promise<Map<string, StationSnapshot>> {
    this.flushNow()
    const wanted = only ? new Set(only) : undefined
    const rows = this.db.prepare<[], { station: string; snapshot: string }>('SELECT station, snapshot FROM live').all()
    return new Map(rows.filter((r) => !wanted || wanted.has(r.station)).map((r) => [r.station, JSON.parse(r.snapshot) as StationSnapshot]))
  }

  flush(): Promise<void> {
    return this.writer.flush()
  }

  private flushNow(): void {
    // Reads must see what ingest queued a moment ago.
    this.writer.flushSync()
  }
}
