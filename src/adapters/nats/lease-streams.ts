import { DiscardPolicy, jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { nanos, type NatsConnection } from '@nats-io/transport-node'
import { isNotFound } from './readings-stream.ts'

export const DEFAULT_LEASE_STREAM_PREFIX = 'SW_LEASE'
export const DEFAULT_LEASE_TTL_MS = 6000

export interface LeaseStreamsOptions {
  partitions: number
  /** a lease not renewed for this long is gone (default 6 s) */
  ttlMs?: number
  /** 3 in a cluster */
  replicas?: number
  /** streams are `<prefix>_<partition>` (default SW_LEASE) */
  prefix?: string
  /** one request's wait (default 2 s): below the heartbeat, so that a heartbeat is never stuck */
  requestTimeoutMs?: number
}

/** A partition's lease as read: free (with the sequence a claim must expect) or held. */
export type LeaseState = { free: true; lastSeq: number } | { free: false; holder: string; lastSeq: number }

interface LeaseRecord { instance: string | null; at: number }

/**
 * One small replicated stream per partition holding its lease: at most one message (the current
 * holder, or a "free" marker), removed by the stream's max age when nobody renews it.
 *
 * Every write is a compare-and-set on the stream's last sequence (`Nats-Expected-Last-Sequence`).
 * Not a key-value bucket: nats-server 2.9 checks a bucket's per-key revision only before the
 * write goes through Raft, so two concurrent writes expecting the same revision can both succeed
 * (nats-server#4320, fixed in 2.9.21/2.10) — seen here as two holders of one partition. The
 * stream-wide expected sequence is checked against the leader's count of proposals, so only one
 * of two concurrent writes wins. A stream per partition, so that renewals of different
 * partitions do not collide.
 */
export class LeaseStreams {
  readonly ttlMs: number
  private readonly js: JetStreamClient
  private jsm: JetStreamManager | undefined

  constructor(private readonly nc: NatsConnection, private readonly o: LeaseStreamsOptions) {
    this.ttlMs = o.ttlMs ?? DEFAULT_LEASE_TTL_MS
    this.js = jetstream(nc, { timeout: o.requestTimeoutMs ?? 2000 })
  }

  streamName(partition: number): string {
    return `${this.o.prefix ?? DEFAULT_LEASE_STREAM_PREFIX}_${partition}`
  }

  subject(partition: number): string {
    return `sw.lease.${(this.o.prefix ?? DEFAULT_LEASE_STREAM_PREFIX).toLowerCase()}.${partition}`
  }

  /** Creates the streams missing (every instance calls this at start; the first creates them). */
  async ensure(): Promise<void> {
    // Creating replicated streams waits for the cluster: longer than a heartbeat's requests may.
    const setup = await jetstreamManager(this.nc, { timeout: 10_000 })
    this.jsm = await jetstreamManager(this.nc, { timeout: this.o.requestTimeoutMs ?? 2000 })
    for (let p = 0; p < this.o.partitions; p++) {
      const name = this.streamName(p)
      for (let attempt = 1; ; attempt++) {
        try {
          const info = await setup.streams.info(name).catch((err: unknown) => {
            if (isNotFound(err)) return undefined
            throw err
          })
          if (!info) {
            await setup.streams.add({
              name,
              subjects: [this.subject(p)],
              storage: StorageType.File,
              num_replicas: this.o.replicas ?? 3,
              retention: RetentionPolicy.Limits,
              discard: DiscardPolicy.Old,
              max_msgs: 1,
              max_age: nanos(this.ttlMs),
              duplicate_window: nanos(Math.min(this.ttlMs, 1000)),
            })
          }
          break
        } catch (err) {
          if (attempt >= 3) throw err
        }
      }
    }
  }

  /** The lease as the stream's leader has it now. */
  async read(partition: number): Promise<LeaseState> {
    const jsm = this.manager()
    const name = this.streamName(partition)
    const { state } = await jsm.streams.info(name)
    if (state.last_seq === 0) {
      // 2.9 ignores an expected last sequence of 0: a first claim could not be a compare-and-set.
      // A "free" marker first makes every claim expect a real sequence.
      await this.js.publish(this.subject(partition), JSON.stringify({ instance: null, at: Date.now() } satisfies LeaseRecord))
      return this.read(partition)
    }
    if (state.messages === 0) return { free: true, lastSeq: state.last_seq }
    let record: LeaseRecord
    try {
      const m = await jsm.streams.getMessage(name, { seq: state.last_seq })
      record = m ? (m.json<LeaseRecord>()) : { instance: null, at: 0 }
    } catch (err) {
      // Expired between the two requests: free, at that sequence.
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) return { free: true, lastSeq: state.last_seq }
      throw err
    }
    return record.instance ? { free: false, holder: record.instance, lastSeq: state.last_seq } : { free: true, lastSeq: state.last_seq }
  }

  /**
   * Writes the lease (`instance`, or null for free) if the stream's last sequence is still
   * `expected`; resolves with the new sequence — the lease's revision. Rejects with a
   * compare-and-set failure (isCasFailure) when someone wrote first.
   */
  async write(partition: number, instance: string | null, expected: number, timeoutMs?: number): Promise<number> {
    const record: LeaseRecord = { instance, at: Date.now() }
    const ack = await this.js.publish(this.subject(partition), JSON.stringify(record), { expect: { lastSequence: expected }, ...(timeoutMs ? { timeout: timeoutMs } : {}) })
    return ack.seq
  }

  private manager(): JetStreamManager {
    if (!this.jsm) throw new Error('LeaseStreams.ensure() has not run')
    return this.jsm
  }
}

/** The write was refused because the stream's last sequence was not the one expected. */
export function isCasFailure(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
}
