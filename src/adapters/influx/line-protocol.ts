import { escape, type InfluxDB } from 'influx'
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
 * Turns points into InfluxDB line protocol, one line each, with the `influx` client's own
 * schema check and escaping (`parsePoint`), assembled the way its `writePoints` does.
 * The lines are what is sent, and what is spooled when InfluxDB is away.
 */
export class LineEncoder {
  constructor(
    private readonly client: InfluxDB,
    private readonly database: string,
    private readonly nanos = new UniqueNanos(),
  ) {}

  /** One line; throws when the point does not fit the contract's schema. */
  encode(p: Point): string {
    const tags: Record<string, string> = {}
    // Sorted tags are what InfluxDB stores anyway; empty tag values are not allowed in line protocol.
    for (const k of Object.keys(p.tags).sort()) if (p.tags[k]) tags[k] = p.tags[k]
    const parsed = this.client.parsePoint(
      { measurement: p.measurement, tags, fields: p.fields as Record<string, unknown> },
      { database: this.database, precision: 'n' },
    )
    if (parsed.fieldsPairs.length === 0) throw new Error(`point of ${p.subject} has no field with a value`)
    let line = escape.measurement(p.measurement)
    for (const name of parsed.tagsNames) line += `,${escape.tag(name)}=${escape.tag(tags[name]!)}`
    for (let i = 0; i < parsed.fieldsPairs.length; i++) {
      const [k, v] = parsed.fieldsPairs[i]!
      line += `${i === 0 ? ' ' : ','}${escape.tag(k)}=${v}`
    }
    return `${line} ${this.nanos.stamp(p.t)}`
  }
}
