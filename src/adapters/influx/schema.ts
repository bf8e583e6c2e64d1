import { FieldType, type ISchemaOptions } from 'influx'
import type { HistoryQuery, Measurement } from '../../ports.ts'

/**
 * Contract §7: the measurements, their tags and their fields with InfluxDB types.
 * The `influx` client checks every point against this (an unknown tag or field is an error),
 * so a drift between `src/ingest/points.ts` and the contract fails loudly instead of
 * creating a new column. Integers are written as integers (`42i`) so that a field's type
 * never changes from one point to the next (InfluxDB refuses a type change within a shard).
 */
export const MEASUREMENTS: Record<Measurement, { tags: string[]; fields: Record<string, FieldType> }> = {
  door: { tags: ['station', 'door', 'device'], fields: { open: FieldType.BOOLEAN, device_ts: FieldType.INTEGER } },
  key: {
    tags: ['station', 'key', 'device'],
    fields: { present: FieldType.BOOLEAN, slot: FieldType.STRING, user: FieldType.STRING, device_ts: FieldType.INTEGER },
  },
  item: {
    tags: ['station', 'item', 'category', 'kind', 'device'],
    fields: { present: FieldType.BOOLEAN, count: FieldType.INTEGER, device_ts: FieldType.INTEGER },
  },
  device: { tags: ['station', 'device', 'type'], fields: { online: FieldType.BOOLEAN, battery: FieldType.INTEGER, rssi: FieldType.INTEGER } },
  // `escalated` goes beyond §7's list (id, state, subject): the service also records escalations.
  alert: { tags: ['station', 'rule', 'severity'], fields: { id: FieldType.STRING, state: FieldType.STRING, subject: FieldType.STRING, escalated: FieldType.BOOLEAN } },
}

export function clientSchema(database: string): ISchemaOptions[] {
  return Object.entries(MEASUREMENTS).map(([measurement, s]) => ({ database, measurement, tags: s.tags, fields: s.fields }))
}

/** Where history of a subject lives: `door:main` → measurement door, tag door='main', field open. */
export interface SubjectSeries {
  measurement: 'door' | 'key' | 'item' | 'device'
  /** the tag that names the subject; equal to the measurement name for all four */
  tag: string
  id: string
  field: string
}

export function seriesOf(q: Pick<HistoryQuery, 'subject' | 'valueType'>): SubjectSeries | undefined {
  const m = /^(door|key|item|device):(.+)$/.exec(q.subject)
  if (!m) return undefined
  const measurement = m[1] as SubjectSeries['measurement']
  const field = measurement === 'door' ? 'open' : measurement === 'key' ? 'present' : measurement === 'device' ? 'online' : q.valueType === 'number' ? 'count' : 'present'
  return { measurement, tag: measurement, id: m[2]!, field }
}
