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
  /** the digits of lastMs: under load many points share a millisecond, and number-to-string is not free */
  private lastDigits = ''
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
      this.lastDigits = String(t)
      if (this.seen.size > this.remember) this.seen.delete(this.seen.keys().next().value!)
    }
    // 1.7e18 is past 2^53: build the digits as a string rather than multiplying.
    if (n < SIX_DIGITS.length) return this.lastDigits + SIX_DIGITS[n]!
    return n < 1_000_000 ? this.lastDigits + String(n).padStart(6, '0') : (BigInt(t) * 1_000_000n + BigInt(n)).toString()
  }
}

/** `000000` … `004095`: the counts a millisecond reaches in practice, padded once rather than per point. */
const SIX_DIGITS = Array.from({ length: 4096 }, (_, n) => String(n).padStart(6, '0'))

/**
 * Turns points into InfluxDB line protocol, one line each: the contract's schema compiled once
 * per measurement (tags and fields sorted, types fixed), values escaped as the `influx`
 * client's own escapers do and typed as its schema coercion does (`42i`, `T`/`F`, quoted strings),
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
      const tags = [...def.tags].sort().map((name) => ({ name, key: `,${escape.tag(name)}=` }))
      this.compiled.set(m, {
        series: new SeriesKeys(escape.measurement(m), tags),
        tags,
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
    const { tags, fields } = p
    let known = 0
    for (const t of c.tags) if (tags[t.name] !== undefined) known++
    if (known !== keyCount(tags)) unknownKey(tags, c.tagSet, 'tag', p.measurement)
    let line = c.series.of(tags)
    known = 0
    let sep = ' '
    for (const f of c.fields) {
      const v = fields[f.name]
      if (v === undefined) continue
      known++
      if (v === null) continue
      line += sep + f.key + formatField(p.measurement, f.name, f.type, v)
      sep = ','
    }
    if (known !== keyCount(fields)) unknownKey(fields, c.fieldSet, 'field', p.measurement)
    if (sep === ' ') throw new Error(`point of ${p.subject} has no field with a value`)
    return line + ' ' + this.nanos.stamp(p.t)
  }
}

interface Compiled {
  series: SeriesKeys
  tags: { name: string; key: string }[]
  tagSet: Set<string>
  fields: { name: string; key: string; type: FieldType }[]
  fieldSet: Set<string>
}

/**
 * The `measurement,tag=value,…` part of a line, kept per series: a station has a few dozen
 * series and each one recurs with every reading, so escaping and joining its tags again each
 * time was most of the encoding, and the many small pieces made joining a batch's lines slow.
 * A tree of maps, one level per tag (in the schema's sorted order), so looking a series up
 * builds no key string. Bounded: a stream of new series (keys named in payloads) resets it.
 */
class SeriesKeys {
  private root: SeriesNode
  private size = 0

  constructor(
    private readonly measurement: string,
    private readonly tags: { name: string; key: string }[],
    private readonly maxSeries = 50_000,
  ) {
    this.root = { next: new Map(), key: measurement }
  }

  of(values: Record<string, string>): string {
    let node = this.root
    for (const t of this.tags) {
      const v = values[t.name]
      let next = node.next.get(v)
      if (!next) {
        if (++this.size > this.maxSeries) return this.reset(values)
        // Empty tag values cannot be written in line protocol: the tag is left out, as unset.
        next = { next: new Map(), key: v ? flatten(node.key + t.key + tagValue(v)) : node.key }
        node.next.set(v, next)
      }
      node = next
    }
    return node.key
  }

  private reset(values: Record<string, string>): string {
    this.root = { next: new Map(), key: this.measurement }
    this.size = 0
    return this.of(values)
  }
}

interface SeriesNode {
  next: Map<string | undefined, SeriesNode>
  key: string
}

/**
 * V8 keeps a concatenation as a tree of its pieces until something reads its characters, and
 * then flattens it in place: reading one here makes the cached key a single piece for good,
 * rather than a tree walked again whenever a line that holds it is joined into a batch.
 */
function flatten(s: string): string {
  s.charCodeAt(0)
  return s
}

/**
 * Counting keys is cheaper than looking each one up in the schema; only when the count differs
 * from the schema names found does `unknownKey` look for the stranger (a schema name present
 * with the value `undefined` also lands there, and passes).
 */
function keyCount(o: object): number {
  let n = 0
  for (const _ in o) n++
  return n
}

function unknownKey(o: object, known: Set<string>, what: 'tag' | 'field', m: string): void {
  for (const k in o) if (!known.has(k)) throw new Error(`${what} "${k}" is not in the schema of ${m}`)
}

// What makes the `influx` escapers change a value: their separators, and `\'`, which they
// rewrite first (a quirk kept so that lines stay identical to the client's). Values almost
// never hold any, so the escaper is only called when one does.
const TAG_SPECIAL = /[,= ]|\\'/
const QUOTED_SPECIAL = /["\\]/

function tagValue(v: string): string {
  return TAG_SPECIAL.test(v) ? escape.tag(v) : v
}

function formatField(m: string, name: string, type: FieldType, v: unknown): string {
  switch (type) {
    case FieldType.BOOLEAN:
      if (typeof v !== 'boolean') throw new Error(`${m}.${name}: expected a boolean, got ${typeof v}`)
      return v ? 'T' : 'F'
    case FieldType.INTEGER:
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${m}.${name}: expected an integer, got ${String(v)}`)
      return Math.floor(v) + 'i'
    case FieldType.FLOAT:
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${m}.${name}: expected a number, got ${String(v)}`)
      return String(v)
    case FieldType.STRING: {
      const s = String(v)
      return QUOTED_SPECIAL.test(s) ? escape.quoted(s) : '"' + s + '"'
    }
  }
}
