import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { DEVICE_HEADER, TOPIC_HEADER } from './reading-log.ts'
import { partitionFilter, stationOfSubject } from './partitions.ts'
import { DEFAULT_READINGS_STREAM, isNotFound } from './readings-stream.ts'

/** One reading as its partition's owner receives it. */
export interface PartitionMessage {
  partition: number
  /**
   * The reading's sequence in the stream: increasing within a partition. Record the last one
   * applied with the owner's own commit; after a takeover a message may come again (its ack was
   * lost with its owner), and one at or below the recorded sequence is already applied.
   */
  streamSeq: number
  station: string
  device: string
  topic: string
  payload: Uint8Array
  /** JetStream delivered it before (to this or an earlier owner) */
  redelivered: boolean
}

export interface PartitionConsumerOptions {
  js: JetStreamClient
  jsm: JetStreamManager
  partition: number
  /**
   * Applies readings, in stream order: every one that arrived while the previous call was under way
   * (at most `maxAckPending`), so that a busy partition is applied in few commits. They are
   * acknowledged only once this resolves.
   */
  handler: (ms: PartitionMessage[]) => Promise<void>
  /** default SW_READINGS */
  stream?: string
  /** the owner's last applied stream sequence, from its own store: nothing at or below it is handed over */
  resumeAfter?: number
  /** messages delivered and not yet acknowledged, at most (default 256) */
  maxAckPending?: number
  /** how long JetStream waits for an ack before delivering again (default 30 s; a handler still working keeps it alive) */
  ackWaitMs?: number
  /** messages per pull (default 64) */
  batch?: number
  /** a failed pull, handler or ack; the consumer retries on its own */
  onError?: (err: Error, partition: number) => void
}

export const durableName = (partition: number) => `sw-p-${partition}`

/**
 * The owner's side of a partition: a durable pull consumer (explicit ack) on `sw.r.<p>.>`, whose
 * messages are handed to the handler in stream order — what has arrived since the last call, in
 * one call — each acknowledged after the handler's promise resolved. Fetching goes on while the
 * handler works (the server holds back at `maxAckPending` unacknowledged). A failing handler is
 * retried on the same messages — later readings of the partition wait, as order demands.
 *
 * On start the durable is made afresh from where the previous owner's acknowledgements end
 * (its ack floor): what that owner had fetched and not acknowledged comes at once and in order,
 * instead of after its ack wait and behind newer readings.
 */
export class PartitionConsumer {
  private running = false
  private loop: Promise<void> | undefined
  private batch: ConsumerMessages | undefined
  private last = 0
  /** fetched, not yet handed to the handler */
  private queue: JsMsg[] = []
  private wakeApplier: (() => void) | undefined

  constructor(private readonly o: PartitionConsumerOptions) {}

  /** Resolves once the durable is in place and delivering; keeps trying while NATS recovers. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    for (;;) {
      try {
        this.last = await this.recreate()
        break
      } catch (err) {
        if (!this.running) return
        this.o.onError?.(err as Error, this.o.partition)
        await pause(500)
      }
    }
    this.loop = this.run()
  }

  /** Stops at once: no further message is handed over or acknowledged; waits for the handler under way. */
  async stop(): Promise<void> {
    this.running = false
    this.wakeApplier?.()
    await this.batch?.close().catch(() => undefined)
    await this.loop
  }

  /** the last stream sequence handled and acknowledged */
  lastHandled(): number {
    return this.last
  }

  private get stream(): string {
    return this.o.stream ?? DEFAULT_READINGS_STREAM
  }

  /** Replaces the durable with one that starts after the last acknowledged reading; returns that sequence. */
  private async recreate(): Promise<number> {
    const { jsm, partition } = this.o
    const name = durableName(partition)
    let floor = 0
    try {
      const info = await jsm.consumers.info(this.stream, name)
      floor = info.ack_floor.stream_seq
      await jsm.consumers.delete(this.stream, name)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    const after = Math.max(floor, this.o.resumeAfter ?? 0)
    await jsm.consumers.add(this.stream, {
      durable_name: name,
      filter_subject: partitionFilter(partition),
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.o.ackWaitMs ?? 30_000),
      max_ack_pending: this.o.maxAckPending ?? 256,
      ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : { deliver_policy: DeliverPolicy.All }),
    })
    return after
  }

  private async run(): Promise<void> {
    const applying = this.applyLoop()
    try {
      await this.fetchLoop()
    } finally {
      this.wakeApplier?.()
      await applying
    }
  }

  /** Fetches messages into the queue while running. */
  private async fetchLoop(): Promise<void> {
    const { js, partition } = this.o
    while (this.running) {
      try {
        const consumer = await js.consumers.get(this.stream, durableName(partition))
        while (this.running) {
          const batch = (this.batch = await consumer.fetch({ max_messages: this.o.batch ?? 64, expires: 1000 }))
          for await (const m of batch) {
            if (!this.running) break
            this.queue.push(m)
            this.wakeApplier?.()
          }
        }
      } catch (err) {
        if (!this.running) return
        this.o.onError?.(err as Error, partition)
        await pause(500)
      }
    }
  }

  /** Hands what is queued to the handler, then acknowledges it; one call at a time. */
  private async applyLoop(): Promise<void> {
    while (this.running) {
      if (this.queue.length === 0) {
        await new Promise<void>((r) => (this.wakeApplier = r))
        this.wakeApplier = undefined
        continue
      }
      const taken = this.queue.splice(0)
      // Delivered again although handled (an ack that got lost, an ack wait that ran out): ack, skip.
      const fresh = taken.filter((m) => m.seq > this.last)
      if (fresh.length > 0 && !(await this.handle(fresh))) return
      // Lost the partition meanwhile: the new owner decides; its durable is not ours to ack on.
      if (!this.running) return
      for (const m of taken) m.ack()
    }
  }

  /** Calls the handler until it succeeds; false if the consumer stopped meanwhile. */
  private async handle(ms: JsMsg[]): Promise<boolean> {
    const messages: PartitionMessage[] = ms.map((m) => ({
      partition: this.o.partition,
      streamSeq: m.seq,
      station: stationOfSubject(m.subject),
      device: m.headers?.get(DEVICE_HEADER) ?? '',
      topic: m.headers?.get(TOPIC_HEADER) ?? '',
      payload: m.data,
      redelivered: m.redelivered,
    }))
    let wait = 250
    for (;;) {
      const keepAlive = setInterval(() => ms.forEach((m) => m.working()), Math.max(1000, (this.o.ackWaitMs ?? 30_000) / 3))
      try {
        await this.o.handler(messages)
        break
      } catch (err) {
        this.o.onError?.(err as Error, this.o.partition)
        if (!this.running) return false
        await pause(wait)
        wait = Math.min(wait * 2, 5000)
      } finally {
        clearInterval(keepAlive)
      }
    }
    this.last = ms[ms.length - 1]!.seq
    return true
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
