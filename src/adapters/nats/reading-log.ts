import type { JetStreamClient } from '@nats-io/jetstream'
import { ClosedConnectionError, DrainingConnectionError, headers, nuid } from '@nats-io/transport-node'
import { z } from 'zod'
import { InFlightLimit } from './in-flight-limit.ts'
import { partitionOf, readingSubject } from './partitions.ts'

/** Headers that carry what the subject does not (the subject names partition and station). */
export const DEVICE_HEADER = 'Sw-Device'
export const TOPIC_HEADER = 'Sw-Topic'

export interface ReadingLogOptions {
  js: JetStreamClient
  partitions: number
  /** appends waiting for JetStream at once; more wait their turn (default 1024) */
  maxInFlight?: number
  /** one attempt's wait for the stream's acknowledgement (default 2 s) */
  attemptTimeoutMs?: number
  /**
   * How long an append keeps trying before it fails (default 15 s): through a node's loss and
   * the election of a new stream leader (a few seconds), not through a cluster that is down.
   */
  deadlineMs?: number
}

export interface AppendOptions {
  /**
   * The id JetStream deduplicates on, within the stream's duplicate window. Pass what names the
   * reading (readingMsgId) so that a device's resend of a reading whose PUBACK it lost is stored
   * once too; by default an id unique to this call, so that only this call's own retries are
   * collapsed. Do not use a hash of the payload: a device's status repeats byte for byte.
   */
  msgId?: string
}

export interface Appended {
  partition: number
  /** the reading's sequence in the stream (what the partition's owner sees as streamSeq) */
  seq: number
  /** true when the stream already held this message id: stored once, acknowledged again */
  duplicate: boolean
}

/** The message id of a state reading: its device, `seq` and `ts` are what make it a duplicate (contract §3). */
export function readingMsgId(device: string, seq: number, ts: number): string {
  return `${device}:${seq}:${ts}`
}

const appendArgs = z.object({
  station: z.string().min(1, 'station: required'),
  device: z.string().min(1, 'device: required').max(128, 'device: at most 128 characters'),
  topic: z.string().min(1, 'topic: required').max(1024, 'topic: at most 1024 characters'),
  msgId: z.string().min(1, 'msgId: must not be empty').max(256, 'msgId: at most 256 characters').optional(),
})

/**
 * The durable gate of cluster mode: a reading is appended to the replicated readings stream, and
 * `append` resolves only once JetStream has acknowledged it — stored on a majority of the
 * stream's replicas. That is when the MQTT front door may send the PUBACK. It retries with the
 * same message id until its deadline, so a reading stored on a first attempt whose answer was
 * lost is not stored again.
 */
export class ReadingLog {
  private readonly limit: InFlightLimit
  private closed = false

  constructor(private readonly o: ReadingLogOptions) {
    this.limit = new InFlightLimit(o.maxInFlight ?? 1024)
  }

  append(station: string, device: string, topic: string, payload: Uint8Array, opts: AppendOptions = {}): Promise<Appended> {
    if (this.closed) return Promise.reject(new Error('the reading log is closed'))
    let subject: string
    try {
      appendArgs.parse({ station, device, topic, msgId: opts.msgId })
      subject = readingSubject(station, this.o.partitions)
    } catch (err) {
      return Promise.reject(err instanceof z.ZodError ? new Error(err.issues.map((i) => i.message).join('; ')) : (err as Error))
    }
    const partition = partitionOf(station, this.o.partitions)
    const msgID = opts.msgId ?? nuid.next()
    const h = headers()
    h.set(DEVICE_HEADER, device)
    h.set(TOPIC_HEADER, topic)
    return this.limit.run(async () => {
      const ack = await this.publishUntilAcknowledged(subject, payload, msgID, h)
      return { partition, seq: ack.seq, duplicate: ack.duplicate }
    })
  }

  /** appends waiting for their acknowledgement, and those waiting for a turn */
  pending(): { inFlight: number; queued: number } {
    return { inFlight: this.limit.active, queued: this.limit.queued }
  }

  /** New appends are refused; those under way finish or fail on their own. */
  close(): void {
    this.closed = true
  }

  private async publishUntilAcknowledged(subject: string, payload: Uint8Array, msgID: string, h: ReturnType<typeof headers>) {
    const { js } = this.o
    const deadline = Date.now() + (this.o.deadlineMs ?? 15_000)
    const attemptTimeout = this.o.attemptTimeoutMs ?? 2000
    let wait = 100
    for (;;) {
      try {
        // `retries` covers "no responders" (no stream leader for a moment) inside one attempt.
        return await js.publish(subject, payload, { msgID, headers: h, timeout: Math.max(1, Math.min(attemptTimeout, deadline - Date.now())), retries: 2 })
      } catch (err) {
        if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) throw err
        if (Date.now() + wait >= deadline) throw new Error(`JetStream did not acknowledge the reading on ${subject} in time: ${(err as Error).message}`, { cause: err })
        await new Promise((r) => setTimeout(r, wait))
        wait = Math.min(wait * 2, 1000)
      }
    }
  }
}
