interface Entry {
  at: number
  key: string
}

/**
 * Pending rule deadlines in one binary heap: one timer for the earliest, however
 * many are pending. Re-scheduling a key leaves its old entry behind, skipped when
 * popped (lazy deletion), so every operation is O(log n). An entry is live while it
 * is the one `current` holds for its key: the heap and the map share the object.
 */
export class DeadlineQueue {
  private heap: Entry[] = []
  private readonly current = new Map<string, Entry>()

  get size(): number {
    return this.current.size
  }

  schedule(key: string, at: number): void {
    const existing = this.current.get(key)
    if (existing?.at === at) return
    const entry = { at, key }
    this.current.set(key, entry)
    this.push(entry)
    // Stale entries are dropped when popped; compact if they dominate the heap.
    if (this.heap.length > 64 && this.heap.length > 4 * this.current.size) this.compact()
  }

  cancel(key: string): void {
    this.current.delete(key)
  }

  /** the keys scheduled now */
  keys(): string[] {
    return [...this.current.keys()]
  }

  has(key: string): boolean {
    return this.current.has(key)
  }

  /** The earliest live deadline, if any. */
  peek(): number | undefined {
    this.dropStale()
    return this.heap[0]?.at
  }

  /** Removes and returns the keys due at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const due: string[] = []
    for (;;) {
      this.dropStale()
      const top = this.heap[0]
      if (!top || top.at > now) return due
      this.pop()
      this.current.delete(top.key)
      due.push(top.key)
    }
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0]
      if (!top) return
      if (this.current.get(top.key) === top) return
      this.pop()
    }
  }

  private compact(): void {
    this.heap = [...this.current.values()]
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i)
  }

  private push(e: Entry): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (h[p]!.at <= h[i]!.at) break
      ;[h[p], h[i]] = [h[i]!, h[p]!]
      i = p
    }
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    if (h.length === 0) return
    h[0] = last
    this.down(0)
  }

  private down(i: number): void {
    const h = this.heap
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && h[l]!.at < h[m]!.at) m = l
      if (r < h.length && h[r]!.at < h[m]!.at) m = r
      if (m === i) return
      ;[h[m], h[i]] = [h[i]!, h[m]!]
      i = m
    }
  }
}
