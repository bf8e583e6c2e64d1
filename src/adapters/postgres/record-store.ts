import type { AuditEvent } from '../../domain/audit-event.ts'
import type { StationSnapshot } from '../../domain/station-state.ts'
import type { EventQuery, RecordStore, Reject } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { json, text } from './pool.ts'
import { eachRow, insertRows } from './rows.ts'
import type pg from 'pg'

const REJECTS_KEPT = 10_000

export const EVENT_COLUMNS: [string, string][] = [
  ['t', 'bigint'], ['station', 'text'], ['kind', 'text'], ['subject', 'text'], ['device', 'text'],
  ['user_name', 'text'], ['value', 'jsonb'], ['detail', 'text'], ['incident', 'text'],
]

/** An audit event as a row of EVENT_COLUMNS. */
export function eventRow(e: AuditEvent): unknown[] {
  return [e.t, text(e.station), text(e.kind), text(e.subject), text(e.device), text(e.user), json(e.value), text(e.detail), text(e.incident)]
}

interface EventRow { t: number; station: string; kind: string; subject: string; device: string; user_name: string | null; value: number | string | null; detail: string | null; incident: string | null }

/** Audit events, rejects and the live snapshot in PostgreSQL, written through the group writer. */
export class PostgresRecordStore implements RecordStore {
  private readonly insertEvent
  private readonly insertReject
  private readonly pruneRejects
  private readonly upsertLive
  private rejectsSincePrune = 0

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.insertEvent = writer.table(insertRows('events', EVENT_COLUMNS))
    this.insertReject = writer.table(insertRows('rejects', [['t', 'bigint'], ['device', 'text'], ['topic', 'text'], ['reason', 'text']]))
    // Registered after the rejects: it runs after the rejects queued before it.
    this.pruneRejects = writer.table(eachRow('DELETE FROM rejects WHERE id <= (SELECT max(id) FROM rejects) - $1'))
    this.upsertLive = writer.latest(
      insertRows('live', [['station', 'text'], ['snapshot', 'jsonb'], ['updated', 'bigint']], {
        onConflict: 'ON CONFLICT (station) DO UPDATE SET snapshot = excluded.snapshot, updated = excluded.updated',
      }),
    )
  }

  appendEvents(events: AuditEvent[]): void {
    for (const e of events) this.insertEvent(eventRow(e))
  }

  async queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    await this.writer.committed()
    const where = ['station = $1']
    const args: unknown[] = [q.station]
    const arg = (v: unknown) => (args.push(v), `$${args.length}`)
    if (q.from !== undefined) where.push(`t >= ${arg(q.from)}`)
    if (q.to !== undefined) where.push(`t <= ${arg(q.to)}`)
    if (q.subject) where.push(`subject = ${arg(q.subject)}`)
    if (q.user) where.push(`user_name = ${arg(q.user)}`)
    if (q.kinds?.length) where.push(`kind = ANY(${arg(q.kinds)}::text[])`)
    const { rows } = await this.pool.query<EventRow>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY t DESC, id DESC LIMIT ${arg(q.limit)}`, args)
    return rows.map((r) => ({
      t: r.t,
      station: r.station,
      kind: r.kind as AuditEvent['kind'],
      subject: r.subject,
      device: r.device,
      ...(r.user_name !== null ? { user: r.user_name } : {}),
      ...(r.value !== null ? { value: r.value } : {}),
      ...(r.detail !== null ? { detail: r.detail } : {}),
      ...(r.incident !== null ? { incident: r.incident } : {}),
    }))
  }

  appendReject(r: Reject): void {
    this.insertReject([r.t, text(r.device), text(r.topic), text(r.reason)])
    // Rejects are a diagnostic window, not an archive: keep the newest ones only.
    if (++this.rejectsSincePrune >= 1000) {
      this.rejectsSincePrune = 0
      this.pruneRejects([REJECTS_KEPT])
    }
  }

  async queryRejects(limit: number): Promise<Reject[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<Reject>('SELECT t, device, topic, reason FROM rejects ORDER BY id DESC LIMIT $1', [limit])
    return rows
  }

  saveSnapshot(station: string, snap: () => StationSnapshot): void {
    // Serialised when the batch is cut: many changes in one batch cost one serialisation.
    this.upsertLive(station, () => [text(station), json(snap()), Date.now()])
  }

  async loadSnapshots(only?: readonly string[]): Promise<Map<string, StationSnapshot>> {
    await this.writer.committed()
    const { rows } = only
      ? await this.pool.query<{ station: string; snapshot: StationSnapshot }>('SELECT station, snapshot FROM live WHERE station = ANY($1::text[])', [only])
      : await this.pool.query<{ station: string; snapshot: StationSnapshot }>('SELECT station, snapshot FROM live')
    return new Map(rows.map((r) => [r.station, r.snapshot]))
  }

  flush(): Promise<void> {
    return this.writer.committed()
  }
}
