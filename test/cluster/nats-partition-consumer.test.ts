import { afterEach, expect, it } from 'vitest'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectNats } from '../../src/adapters/nats/connection.ts'
import { PartitionConsumer, type PartitionMessage } from '../../src/adapters/nats/partition-consumer.ts'
import { partitionOf } from '../../src/adapters/nats/partitions.ts'
import { ReadingLog } from '../../src/adapters/nats/reading-log.ts'
import { ensureReadingsStream } from '../../src/adapters/nats/readings-stream.ts'
import { describeWithNats, useNatsCluster } from '../helpers/nats.ts'
import { eventually } from '../helpers/wait.ts'

const PARTITIONS = 16
const enc = new TextEncoder()
const dec = new TextDecoder()

/** Two stations in different partitions, so that a consumer's filter is seen to hold. */
const STATION = 'st-east'
const OTHER = ['st-west', 'st-south', 'st-harbour', 'st-hill'].find((s) => partitionOf(s, PARTITIONS) !== partitionOf(STATION, PARTITIONS))!
const P = partitionOf(STATION, PARTITIONS)

describeWithNats('cluster: a partition consumer on a real 3-node cluster', () => {
  const nats = useNatsCluster()
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  })
  const connect = async (name: string) => {
    const nc: NatsConnection = await connectNats({ servers: nats.cluster.urls.split(','), name })
    cleanups.push(() => nc.close())
    return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) }
  }
  const appendMany = async (log: ReadingLog, from: number, to: number) => {
    for (let i = from; i < to; i++) {
      await log.append(STATION, 'st-east-door', 'stations/st-east/devices/st-east-door/state', enc.encode(JSON.stringify({ i })))
      if (i % 10 === 0) await log.append(OTHER, 'other-door', 'stations/other/devices/other-door/state', enc.encode('{}'))
    }
  }
  const indexOf = (m: PartitionMessage) => (JSON.parse(dec.decode(m.payload)) as { i: number }).i

  it('an owner that dies mid-stream: the next owner gets every unacknowledged reading at once and in order, none acknowledged again', async () => {
    const writer = await connect('writer')
    await ensureReadingsStream(writer.jsm)
    const log = new ReadingLog({ js: writer.js, partitions: PARTITIONS })
    await appendMany(log, 0, 120)

    // A handles readings until the 41st, hangs on it and its process goes away (connection closed).
    // What A acknowledged is what its handler finished: the calls before the one that hung.
    const a = await connect('owner-a')
    const seenByA: PartitionMessage[] = []
    let handledByA = 0
    let releaseA!: () => void
    const hung = new Promise<void>((r) => (releaseA = r))
    const consumerA = new PartitionConsumer({ js: a.js, jsm: a.jsm, partition: P, handler: async (ms) => {
      for (const m of ms) {
        seenByA.push(m)
        if (seenByA.length === 41) await hung
      }
      handledByA = seenByA.length
    } })
    cleanups.push(async () => {
      releaseA()
      await consumerA.stop()
    })
    await consumerA.start()
    await eventually(() => seenByA.length === 41, 10_000, 'A to reach its 41st reading')
    expect(seenByA.map(indexOf)).toEqual(Array.from({ length: 41 }, (_, i) => i))
    expect(seenByA.every((m) => m.station === STATION && m.partition === P && m.device === 'st-east-door')).toBe(true)
    const acked = handledByA
    expect(consumerA.lastHandled()).toBe(acked > 0 ? seenByA[acked - 1]!.streamSeq : 0)
    await a.nc.close()

    // B takes over well inside the 30 s ack wait: the durable is made afresh from A's ack floor.
    const b = await connect('owner-b')
    const seenByB: PartitionMessage[] = []
    const consumerB = new PartitionConsumer({ js: b.js, jsm: b.jsm, partition: P, handler: async (ms) => {
      seenByB.push(...ms)
    } })
    cleanups.push(() => consumerB.stop())
    const takeover = Date.now()
    await consumerB.start()
    await eventually(() => seenByB.length >= 120 - acked, 10_000, 'B to receive the readings A did not acknowledge')
    expect(Date.now() - takeover).toBeLessThan(10_000)
    expect(seenByB.map(indexOf)).toEqual(Array.from({ length: 120 - acked }, (_, i) => acked + i))
    expect(seenByB.some((m) => m.streamSeq === seenByA[40]!.streamSeq)).toBe(true) // the one A held unacknowledged
    const seqs = seenByB.map((m) => m.streamSeq)
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs)

    // New readings keep coming to B, after the others.
    await appendMany(log, 120, 125)
    await eventually(() => seenByB.length === 125 - acked, 10_000, 'B to receive the new readings')
    expect(seenByB.slice(120 - acked).map(indexOf)).toEqual([120, 121, 122, 123, 124])
    await consumerB.stop()
    expect(consumerB.lastHandled()).toBe(seenByB[124 - acked]!.streamSeq)

    // A third owner after B stopped cleanly: nothing again, since B acknowledged everything.
    const c = await connect('owner-c')
    const seenByC: PartitionMessage[] = []
    const consumerC = new PartitionConsumer({ js: c.js, jsm: c.jsm, partition: P, handler: async (ms) => {
      seenByC.push(...ms)
    } })
    cleanups.push(() => consumerC.stop())
    await consumerC.start()
    await appendMany(log, 125, 126)
    await eventually(() => seenByC.length === 1, 10_000, 'C to receive the one new reading')
    expect(seenByC.map(indexOf)).toEqual([125])
  }, 60_000)

  it('a failing handler is retried on the same reading, later ones wait; resumeAfter skips what the owner already applied', async () => {
    const writer = await connect('writer-2')
    await ensureReadingsStream(writer.jsm)
    const log = new ReadingLog({ js: writer.js, partitions: PARTITIONS })
    const first = await log.append(STATION, 'st-east-door', 't', enc.encode(JSON.stringify({ i: 1000 })))
    await appendMany(log, 1001, 1004)

    const o = await connect('owner-retry')
    const calls: number[] = []
    let failures = 0
    const errors: Error[] = []
    const consumer = new PartitionConsumer({
      js: o.js, jsm: o.jsm, partition: P,
      // The owner's store says it applied `first` already (its ack was lost with the last owner).
      resumeAfter: first.seq,
      handler: async (ms) => {
        for (const m of ms) {
          calls.push(indexOf(m))
          if (indexOf(m) === 1001 && failures < 2) {
            failures++
            throw new Error('database unavailable')
          }
        }
      },
      onError: (err) => errors.push(err),
    })
    cleanups.push(() => consumer.stop())
    await consumer.start()
    await eventually(() => calls.filter((i) => i === 1003).length === 1, 10_000, 'the last reading')
    expect(calls).toEqual([1001, 1001, 1001, 1002, 1003])
    expect(errors.map((e) => e.message)).toEqual(['database unavailable', 'database unavailable'])
  }, 30_000)
})
