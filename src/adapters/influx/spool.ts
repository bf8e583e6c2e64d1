import { mkdir, open, rmdir, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { CURSOR, decodeRecord, encodeRecords, formatBytes, record, segmentPath, syncDir, writeCursor, type Segment } from './spool-format.ts'
import { recoverSpool } from './spool-recovery.ts'

export { formatBytes } from './spool-format.ts'

/**
 * The write spool: readings that could not be written to InfluxDB yet, on disk, in order.
 *
 * Format (spool-format.ts): a folder of append-only segment files, each line one JSON string
 * holding one line-protocol point, and a cursor file; recovery after a crash in spool-recovery.ts.
 * Lines are appended in groups, one write and one fdatasync per group. The drain reads from the oldest segment at the
 * cursor (`cursor.json`: segment and byte offset, advanced after InfluxDB accepted the lines) and
 * deletes each segment once read to its end; when everything is drained the folder is removed.
 *
 * Re-sending lines after a crash (cursor not yet advanced) is harmless: a point is identified by
 * measurement, tags and its unique timestamp, so writing it twice stores it once.
 */
export interface SpoolOptions {
  dir: string
  /** a group that would take the undrained spool past this many bytes is cut, and the rest dropped */
  maxBytes: number
  /** start a new segment file past this size, so drained data is deleted while the spool is in use */
  segmentBytes?: number
  /** lines waiting for the disk beyond this are dropped (the disk is failing) */
  maxQueuedLines?: number
  /** called whenever depth or state changed */
  onChange?: () => void
  /** lines that will never be written: over the size limit, unwritable disk, or corrupt on disk */
  onDrop?: (lines: number, reason: 'spool-full' | 'spool-unwritable' | 'spool-corrupt', detail: string) => void
  /** the disk refused a write; the group is retried */
  onError?: (err: Error) => void
}

export interface SpoolChunk {
  lines: string[]
  /** internal: where the chunk ends */
  readonly segment: number
  readonly end: number
  /** lines read, including corrupt ones that were skipped */
  readonly count: number
}

export class Spool {
  private segments: Segment[] = []
  private offset = 0
  private appendFh: FileHandle | undefined
  private readFh: { n: number; fh: FileHandle } | undefined
  private queue: { data: Buffer; lines: number; done: () => void }[] = []
  private queuedLines = 0
  private queuedBytes = 0
  private appending = false
  private pumping: Promise<void> | undefined
  private removing: Promise<void> | undefined
  private closed = false
  private nextSegment = 1
  private retryDelay = 0
  /** set when the last group did not fit under the limit; cleared by one that fits */
  overLimit = false
  droppedTotal = 0
  lastError: string | undefined

  private constructor(private readonly opts: SpoolOptions & { segmentBytes: number; maxQueuedLines: number }) {}

  static async open(opts: SpoolOptions): Promise<Spool> {
    const s = new Spool({ segmentBytes: 64 * 1024 * 1024, maxQueuedLines: 500_000, ...opts })
    const found = await recoverSpool(opts.dir)
    s.segments = found.segments
    s.offset = found.offset
    s.nextSegment = found.nextSegment
    return s
  }

  /** Lines in the spool, on disk or on their way there, not yet drained. */
  get pendingLines(): number {
    let n = this.queuedLines
    for (const s of this.segments) n += s.lines
    return n
  }

  /** Bytes on disk (and queued for it) not yet drained: what the limit applies to. */
  get pendingBytes(): number {
    let n = this.queuedBytes - this.offset
    for (const s of this.segments) n += s.bytes
    return n
  }

  get maxBytes(): number {
    return this.opts.maxBytes
  }

  /** Nothing on disk or queued for it. */
  get isEmpty(): boolean {
    return this.segments.length === 0 && this.queue.length === 0 && !this.appending
  }

  /**
   * Queues lines to be appended, in call order; resolves once they are on disk (or were dropped),
   * with how many of them were kept: the first ones, the rest (over a limit) were dropped.
   * Never rejects: a failing disk is retried, and reported through `onError`.
   */
  append(lines: string[]): Promise<number> {
    if (lines.length === 0) return Promise.resolve(0)
    if (this.closed) throw new Error('spool is closed')
    let data = lines
    if (this.queuedLines + lines.length > this.opts.maxQueuedLines) {
      const room = Math.max(0, this.opts.maxQueuedLines - this.queuedLines)
      this.opts.onDrop?.(lines.length - room, 'spool-unwritable', this.lastError ?? 'the disk does not keep up')
      this.droppedTotal += lines.length - room
      data = lines.slice(0, room)
    }
    // Encoded once, as the bytes that go to disk; measured line by line only when the limit cuts the group.
    let buf = encodeRecords(data)
    let keep = data.length
    // Enforce the size limit up front, so the caller's depth never counts what will not be kept.
    const room = this.opts.maxBytes - this.pendingBytes
    if (buf.length > room) {
      let used = 0
      keep = 0
      for (const l of data) {
        const b = Buffer.byteLength(record(l)) + 1
        if (used + b > room) break
        used += b
        keep++
      }
      buf = buf.subarray(0, used)
      const dropped = data.length - keep
      this.overLimit = true
      this.droppedTotal += dropped
      this.opts.onDrop?.(dropped, 'spool-full', `the spool would exceed its limit of ${formatBytes(this.opts.maxBytes)}`)
    } else if (data.length > 0) {
      this.overLimit = false
    }
    if (keep === 0) {
      this.opts.onChange?.()
      return Promise.resolve(0)
    }
    return new Promise((resolve) => {
      this.queue.push({ data: buf, lines: keep, done: () => resolve(keep) })
      this.queuedLines += keep
      this.queuedBytes += buf.length
      this.opts.onChange?.()
      void this.pump()
    })
  }

  /** The oldest lines not yet drained, up to the given counts; undefined when there are none on disk. */
  async read(maxLines: number, maxBytes: number): Promise<SpoolChunk | undefined> {
    for (;;) {
      if (this.closed) return undefined
      const seg = this.segments[0]
      if (!seg) return undefined
      const isActive = seg === this.segments.at(-1)
      if (this.offset >= seg.bytes) {
        if (!isActive) {
          await this.dropFirstSegment()
          continue
        }
        if (this.queue.length === 0 && !this.appending) await this.removeAll()
        return undefined
      }
      if (this.readFh?.n !== seg.n) {
        await this.readFh?.fh.close()
        this.readFh = { n: seg.n, fh: await open(seg.path, 'r') }
      }
      const left = seg.bytes - this.offset
      const full = Math.min(left, Math.max(maxBytes, 1024 * 1024))
      // maxLines lines take far less than maxBytes: read about what they need, judged by this
      // segment's mean record, rather than megabytes to parse a fraction of. The full amount is
      // read only when that held no whole line.
      const perLine = seg.lines > 0 ? left / seg.lines : 1024
      let want = Math.min(full, Math.max(64 * 1024, Math.ceil(perLine * maxLines * 1.25)))
      let buf: Buffer
      let bytesRead: number
      for (;;) {
        buf = Buffer.allocUnsafe(want)
        bytesRead = (await this.readFh.fh.read(buf, 0, want, this.offset)).bytesRead
        if (want >= full || buf.subarray(0, bytesRead).includes(10)) break
        want = full
      }
      const lines: string[] = []
      let pos = 0
      let count = 0
      let corrupt = 0
      while (lines.length < maxLines && pos < bytesRead) {
        const nl = buf.indexOf(10, pos)
        if (nl < 0 || nl >= bytesRead) break
        if (lines.length > 0 && nl + 1 > maxBytes) break
        const raw = buf.toString('utf8', pos, nl)
        pos = nl + 1
        count++
        const line = decodeRecord(raw)
        if (line === undefined) corrupt++
        else lines.push(line)
      }
      if (count === 0) {
        // No whole line in a megabyte: the file is damaged here. Skip what was read.
        this.opts.onDrop?.(1, 'spool-corrupt', `unreadable bytes at ${seg.path}:${this.offset}`)
        this.droppedTotal++
        return { lines: [], segment: seg.n, end: this.offset + bytesRead, count: 0 }
      }
      if (corrupt) {
        this.droppedTotal += corrupt
        this.opts.onDrop?.(corrupt, 'spool-corrupt', `${corrupt} unreadable line(s) in ${seg.path}`)
      }
      return { lines, segment: seg.n, end: this.offset + pos, count }
    }
  }

  /** Marks a chunk from `read` as written: advances the cursor, deletes what is fully drained. */
  async ack(chunk: SpoolChunk): Promise<void> {
    if (this.closed) return
    const seg = this.segments[0]
    if (!seg || seg.n !== chunk.segment) return
    this.offset = chunk.end
    seg.lines = Math.max(0, seg.lines - chunk.count)
    const isActive = seg === this.segments.at(-1)
    if (this.offset >= seg.bytes && !isActive) {
      await this.dropFirstSegment()
    } else if (this.offset >= seg.bytes && isActive && this.queue.length === 0 && !this.appending) {
      await this.removeAll()
    } else {
      await this.saveCursor()
    }
    this.opts.onChange?.()
  }

  /** Writes what is queued and closes the files; the spool stays on disk for the next start. */
  async close(): Promise<void> {
    while (this.pumping) await this.pumping
    this.closed = true
    await this.appendFh?.close()
    this.appendFh = undefined
    await this.readFh?.fh.close()
    this.readFh = undefined
    if (this.segments.length) await this.saveCursor()
  }

  private pump(): Promise<void> {
    return (this.pumping ??= this.appendQueued().finally(() => {
      this.pumping = undefined
      // An append that came in while the last group's callbacks ran.
      if (this.queue.length) void this.pump()
    }))
  }

  private async appendQueued(): Promise<void> {
    this.appending = true
    try {
      while (this.queue.length) {
        const groups = this.queue.splice(0)
        const data = groups.length === 1 ? groups[0]!.data : Buffer.concat(groups.map((g) => g.data))
        const lines = groups.reduce((n, g) => n + g.lines, 0)
        const bytes = data.length
        for (;;) {
          try {
            await this.writeGroup(data, lines)
            this.retryDelay = 0
            this.lastError = undefined
            break
          } catch (err) {
            this.lastError = `cannot write the spool in ${this.opts.dir}: ${(err as Error).message}`
            this.opts.onError?.(err as Error)
            this.retryDelay = Math.min(5000, Math.max(250, this.retryDelay * 2))
            await new Promise((r) => setTimeout(r, this.retryDelay))
          }
        }
        this.queuedLines -= lines
        this.queuedBytes -= bytes
        for (const g of groups) g.done()
        this.opts.onChange?.()
      }
    } finally {
      this.appending = false
    }
  }

  private async writeGroup(buf: Buffer, lines: number): Promise<void> {
    // Never create a segment while the drained ones (and the folder) are being removed.
    while (this.removing) await this.removing
    let seg = this.segments.at(-1)
    if (!seg || !this.appendFh || seg.bytes >= this.opts.segmentBytes) {
      await this.appendFh?.close()
      this.appendFh = undefined
      await mkdir(this.opts.dir, { recursive: true })
      const n = this.nextSegment++
      seg = { n, path: segmentPath(this.opts.dir, n), bytes: 0, lines: 0 }
      this.appendFh = await open(seg.path, 'a')
      if (this.segments.length === 0) this.offset = 0
      this.segments.push(seg)
      await syncDir(this.opts.dir)
      if (this.segments.length === 1) await this.saveCursor()
    }
    try {
      await this.appendFh.write(buf, 0, buf.length)
      await this.appendFh.datasync()
    } catch (err) {
      // Cut a torn write back off, so the retry does not glue half a line to the next one.
      await this.appendFh.truncate(seg.bytes).catch(() => undefined)
      throw err
    }
    seg.bytes += buf.length
    seg.lines += lines
  }

  /**
   * Everything drained: delete the files and the folder. Taken out of `segments` before any
   * await, so an append arriving meanwhile starts a new segment instead of writing to this one.
   */
  private removeAll(): Promise<void> {
    return (this.removing ??= this.removeFiles().finally(() => (this.removing = undefined)))
  }

  private async removeFiles(): Promise<void> {
    const segs = this.segments
    this.segments = []
    this.offset = 0
    const fh = this.appendFh
    this.appendFh = undefined
    const rf = this.readFh
    this.readFh = undefined
    await fh?.close()
    await rf?.fh.close()
    for (const s of segs) await unlink(s.path).catch(() => undefined)
    await unlink(join(this.opts.dir, CURSOR)).catch(() => undefined)
    await rmdir(this.opts.dir).catch(() => undefined)
  }

  private async dropFirstSegment(): Promise<void> {
    const seg = this.segments.shift()!
    if (this.readFh?.n === seg.n) {
      await this.readFh.fh.close()
      this.readFh = undefined
    }
    this.offset = 0
    await unlink(seg.path).catch(() => undefined)
    await this.saveCursor()
  }

  private async saveCursor(): Promise<void> {
    const first = this.segments[0]
    if (!first) return
    await writeCursor(this.opts.dir, { segment: first.n, offset: this.offset })
  }
}
