// More than any device keeps in flight, so a retry after a crash is still recognised.
export const RECENT_LIMIT = 64

/**
 * The last accepted `(seq, ts)` pairs of one device, to drop QoS 1 redeliveries. Every message
 * is checked against all of them: the check compares numbers, because comparing the `seq:ts`
 * strings (which share all but their last digits) was one of the largest costs of ingest. The
 * strings are still kept, one made per accepted message, since the snapshot stores them.
 */
export class RecentMessages {
  // Three rings, filled in step; `next` is where the next pair goes (the oldest, once full).
  private readonly seqs: number[] = []
  private readonly tss: number[] = []
  private readonly keys: string[] = []
  private next = 0
  /** the newest `ts` ever added: a message newer still cannot be a redelivery, and needs no search */
  private newest = -Infinity

  /** From a snapshot's `recent` (oldest first); only the newest RECENT_LIMIT are kept. */
  static from(keys: readonly string[]): RecentMessages {
    const r = new RecentMessages()
    for (const key of keys.slice(-RECENT_LIMIT)) {
      const [seq, ts] = parseKey(key)
      r.put(seq, ts, key)
    }
    return r
  }

  has(seq: number, ts: number): boolean {
    if (ts > this.newest) return false
    const { seqs, tss } = this
    for (let i = 0; i < tss.length; i++) if (tss[i] === ts && seqs[i] === seq) return true
    return false
  }

  /** Removes a pair (its slot then matches nothing, like a malformed one from a snapshot). */
  forget(seq: number, ts: number): void {
    const { seqs, tss } = this
    for (let i = 0; i < tss.length; i++) {
      if (tss[i] === ts && seqs[i] === seq) {
        seqs[i] = NaN
        tss[i] = NaN
        this.keys[i] = 'forgotten'
      }
    }
  }

  add(seq: number, ts: number): void {
    this.put(seq, ts, `${seq}:${ts}`)
  }

  get size(): number {
    return this.keys.length
  }

  /** `seq:ts`, oldest first: the snapshot's format. */
  toJSON(): string[] {
    return this.next === 0 ? this.keys.slice() : [...this.keys.slice(this.next), ...this.keys.slice(0, this.next)]
  }

  private put(seq: number, ts: number, key: string): void {
    const i = this.next
    this.seqs[i] = seq
    this.tss[i] = ts
    this.keys[i] = key
    if (ts > this.newest) this.newest = ts
    this.next = i + 1 === RECENT_LIMIT ? 0 : i + 1
  }
}

/**
 * A stored `seq:ts` as numbers. One that `add` could not have made (stored by hand, or
 * malformed) gets NaN, which equals nothing: like its string, it matches no message.
 */
function parseKey(key: string): [number, number] {
  const i = key.indexOf(':')
  const seq = Number(key.slice(0, i))
  const ts = Number(key.slice(i + 1))
  return i > 0 && `${seq}:${ts}` === key ? [seq, ts] : [NaN, NaN]
}
