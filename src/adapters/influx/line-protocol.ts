import { escape, FieldType } from 'influx'
import type { Point } from '../../ports.ts'

/**
 * Nanosecond timestamps that never repeat: `ms * 1e6 + n`, where n counts the points
 * already stamped in that millisecond. InfluxDB keeps one point per series and timestamp,
 * so two readings of one series in the same millisecond would otherwise overwrite each other.
 * The counter is global (not per series), which is simpler and also unique per series.
 * Milliseconds seen recently are remembered, so a clock that steps back a little
 * (NTP) still cannot produce a timestamp twice.
 */
export class UniqueNanos {
  private lastMs = Number.NaN
  private lastCount = 0
  private readonly seen = new Map<number, number>()

  constructor(private readonly remember = 100_000) {}

  /** The timestamp for a point received at `ms`, as the decimal string InfluxDB reads. */
  stamp(ms: number): string {
    const t = Math.floor(ms)
    let n: number
    if (t === this.lastMs) {
      n = ++this.lastCount
    } else {
      if (Number.isFinite(this.lastMs)) this.seen.set(this.lastMs, this.lastCount)
      const before = this.seen.get(t)
      n = before === undefined ? 0 : before + 1
      this.lastMs = t
      this.lastCount = n
      if (this.seen.size > this.remember) this.seen.delete(this.seen.keys().next().value!)
    }
    // 1.7e18 is past 2^53: build the digits as a string rather than multiplying.
    return n < 1_000_000 ? `${t}${String(n).padStart(6, '0')}` : (BigInt(t) * 1_000_000n + BigInt(n)).toString()
  }
}

/**
 * Turns points into InfluxDB line protocol, one line each: the contract's schema compiled once
 * per measurement (tags and fields sorted, types fixed), values escaped with the `influx`
 * client's own escapers and typed as its schema coercion does (`42i`, `T`/`F`, quoted strings),
 * so a line is exactly what the client's `writePoints` would send (a test holds it to that),
 * at a fraction of the cost per point. A tag or field outside the schema is an error.
 * The lines are what is sent, and what is spooled when InfluxDB is away.
 */
export class LineEncoder {
  private readonly compiled = new Map<string, Compiled>()

  constructor(
    schema: Record<string, { tags: string[]; fields: Record<string, FieldType> }>,
    private readonly nanos = new UniqueNanos(),
  ) {
    for (const [m, def] of Object.entries(schema)) {
      this.compiled.set(m, {
        prefix: escape.measurement(m),
        tags: [...def.tags].sort().map((name) => ({ name, key: `,${escape.tag(name)}=` })),
        tagSet: new Set(def.tags),
        fields: Object.keys(def.fields)
          .sort()
          .map((name) => ({ name, key: `${escape.tag(name)}=`, type: def.fields[name]! })),
        fieldSet: new Set(Object.keys(def.fields)),
      })
    }
  }

  /** One line; throws when the point does not fit the schema. */
  encode(p: Point): string {
    const c = this.compiled.get(p.measurement)
    if (!c) throw new Error(`unknown measurement "${p.measurement}"`)
    for (const k in p.tags) if (!c.tagSet.has(k)) throw new Error(`tag "${k}" is not in the schema of ${p.measurement}`)
    for (const k in p.fields) if (!c.fieldSet.has(k)) throw new Error(`field "${k}" is not in the schema of ${p.measurement}`)
    let line = c.prefix
    for (const t of c.tags) {
      const v = p.tags[t.name]
      // Empty tag values cannot be written in line protocol: the tag is left out, as unset.
      if (v) line += t.key + escape.tag(v)
    }
    let sep = ' '
    for (const f of c.fields) {
      const v = p.fields[f.name]
      if (v === null || v === undefined) continue
      line += sep + f.key + formatField(p.measurement, f.name, f.type, v)
      sep = ','
    }
    if (sep === ' ') throw new Error(`point of ${p.subject} has no field with a value`)
    return `${line} ${this.nanos.stamp(p.t)}`
  }
}

interface Compiled {
  prefix: string
  tags: { name: string; key: string }[]
  tagSet: Set<string>
  fields: { name: string; key: string; type: FieldType }[]
  fieldSet: Set<string>
}

function formatField(m: string, name: string, type: FieldType, v: unknown): string {
  switch (type) {
    case FieldType.BOOLEAN:
      if (typeof v !== 'boolean') throw new Error(`${m}.${name}: expected a boolean, got ${typeof v}`)
      return v ? 'T' : 'F'
    case FieldType.INTEGER:
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${m}.${name}: expected an integer, got ${String(v)}`)
      return `${Math.floor(v)}i`
    case FieldType.FLOAT:
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${m}.${name}: expected a number, got ${String(v)}`)
      return String(v)
    case FieldType.STRING:
      return escape.quoted(String(v))
  }
}
