import { batchBody, type LineWriter, WriteError } from './line-writer.ts'
import type { Reachability } from './reachability.ts'
import type { Spool, SpoolChunk } from './spool.ts'

const DRAIN_MAX_BYTES = 8 * 1024 * 1024

/** What one drain step did: sent a chunk (or skipped one), emptied the spool, found nothing on disk yet, or failed. */
export type DrainStep = 'progress' | 'drained' | 'waiting' | 'failed'

/**
 * Sends the spool to InfluxDB from its head, oldest first, one chunk a step, and acknowledges
 * each chunk once InfluxDB took it. A chunk InfluxDB did not take is kept for the next step, so
 * the retry sends the same bytes.
 */
export class SpoolDrainer {
  /** the spool chunk the last step failed to write, with its body, for the retry */
  private retrying: { chunk: SpoolChunk; body: Buffer } | undefined
  private sending = false

  constructor(
    private readonly o: { spool: Spool; writer: LineWriter; link: Reachability; batchSize: number; stopping: AbortSignal },
  ) {}

  /** whether a write of the drain is in flight */
  get writing(): boolean {
    return this.sending
  }

  async step(): Promise<DrainStep> {
    const { spool, writer, link, stopping } = this.o
    try {
      await link.ensureSetup()
    } catch {
      return 'failed'
    }
    if (stopping.aborted) return 'progress'
    // Only this drainer reads and acknowledges the spool, so its head is still the chunk that failed.
    let next = this.retrying
    if (!next) {
      const chunk = await spool.read(this.o.batchSize, DRAIN_MAX_BYTES)
      if (stopping.aborted) return 'progress'
      if (!chunk) {
        // Nothing on disk to read: either all drained, or an append is still on its way.
        return spool.isEmpty ? 'drained' : 'waiting'
      }
      if (chunk.lines.length === 0) {
        await spool.ack(chunk)
        return 'progress'
      }
      next = { chunk, body: batchBody(chunk.lines) }
    }
    const { chunk, body } = next
    this.sending = true
    try {
      const started = performance.now()
      await writer.write(body)
      this.retrying = undefined
      link.succeeded((performance.now() - started) / 1000, chunk.lines.length)
      await spool.ack(chunk)
      return 'progress'
    } catch (err) {
      if (err instanceof WriteError && err.kind === 'rejected') {
        this.retrying = undefined
        link.rejected(err, chunk.lines.length, false)
        await spool.ack(chunk)
        return 'progress'
      }
      if (stopping.aborted) return 'progress'
      this.retrying = next
      link.failed(err)
      return 'failed'
    } finally {
      this.sending = false
    }
  }
}
