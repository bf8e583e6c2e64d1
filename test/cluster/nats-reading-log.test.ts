import { afterEach, expect, it } from 'vitest'
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectNats } from '../../src/adapters/nats/connection.ts'
import { partitionOf } from '../../src/adapters/nats/partitions.ts'
import { ReadingLog, readingMsgId } from '../../src/adapters/nats/reading-log.ts'
import { DEFAULT_READINGS_STREAM, ensureReadingsStream } from '../../src/adapters/nats/readings-stream.ts'
import { describeWithNats, useNatsCluster } from '../helpers/nats.ts'
import { eventually, sleep } from '../helpers/wait.ts'

const PARTITIONS = 16
const enc = new TextEncoder()

/**
 * Every message of the stream, in order, as its leader has them. A member of the stream's group
 * that knows no leader answers STREAM.INFO itself, from its own store, and the first answer wins:
 * right after a restart that is the restarted node, whose store ends where it was killed. Reading
 * up to that `last_seq` stops short of what was acknowledged since. So this throws (for
 * `eventually` to try again) until the answer names a leader and every replica is current, and a
 * sequence missing below `last_seq` is an error, not skipped (nothing is deleted from this stream).
 */
async function readAll(jsm: JetStreamManager, stream: string): Promise<{ seq: number; subject: string; msgId: string }[]> {
  const info = await jsm.streams.info(stream)
  const { leader, replicas = [] } = info.cluster ?? {}
  if (!leader || replicas.length !== info.config.num_replicas - 1 || !replicas.every((r) => r.current)) {
    throw new Error(`stream ${stream} not settled: leader ${leader ?? 'none'}, replicas ${JSON.stringify(replicas.map((r) => ({ name: r.name, current: r.current, lag: r.lag })))}, last_seq ${info.state.last_seq}`)
  }
  const out = []
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq })
    if (!m) throw new Error(`stream ${stream}: no message at ${seq} (state ${JSON.stringify(info.state)})`)
    out.push({ seq, subject: m.subject, msgId: m.header.get('Nats-Msg-Id') })
  }
  return out
}

describeWithNats('cluster: the readings stream on a real 3-node NATS cluster', () => {
  const nats = useNatsCluster()
  const open: NatsConnection[] = []
  afterEach(async () => {
    for (const nc of open.splice(0)) await nc.close().catch(() => undefined)
  })
  const connect = async (name: string) => {
    const nc = await connectNats({ servers: nats.cluster.urls.split(','), name })
    open.push(nc)
    return nc
  }

  it('creates the stream replicated 3 times on file storage, and an append resolves with its sequence once acknowledged', async () => {
    const nc = await connect('t-basic')
    const jsm = await jetstreamManager(nc)
    const info = await ensureReadingsStream(jsm)
    expect(info.config).toMatchObject({ subjects: ['sw.r.>'], num_replicas: 3, storage: 'file' })
    // A second instance starting finds it and leaves it as it is.
    await expect(ensureReadingsStream(jsm)).resolves.toMatchObject({ config: { name: DEFAULT_READINGS_STREAM } })
    await expect(ensureReadingsStream(jsm, { replicas: 1 })).rejects.toThrow(/3 replicas; expected .* and 1/)

    const log = new ReadingLog({ js: jetstream(nc), partitions: PARTITIONS })
    const a = await log.append('st-north', 'st-north-door', 'stations/st-north/devices/st-north-door/state', enc.encode('{"seq":1}'), { msgId: readingMsgId('st-north-door', 1, 1000) })
    expect(a).toMatchObject({ partition: partitionOf('st-north', PARTITIONS), duplicate: false })
    const m = await jsm.streams.getMessage(DEFAULT_READINGS_STREAM, { seq: a.seq })
    expect(m?.subject).toBe(`sw.r.${a.partition}.st-north`)
    expect(m?.header.get('Sw-Device')).toBe('st-north-door')

    // The device sends it again (its PUBACK was lost): acknowledged, stored once.
    const again = await log.append('st-north', 'st-north-door', 'stations/st-north/devices/st-north-door/state', enc.encode('{"seq":1}'), { msgId: readingMsgId('st-north-door', 1, 1000) })
    expect(again).toEqual({ partition: a.partition, seq: a.seq, duplicate: true })

    await expect(log.append('St.North', 'd', 't', enc.encode('{}'))).rejects.toThrow(/station: must match/)
    await expect(log.append('st-north', '', 't', enc.encode('{}'))).rejects.toThrow(/device: required/)
  })

  it('keeps acknowledging through the SIGKILL of the stream leader: nothing acknowledged is lost, a retried id is stored once', async () => {
    const nc = await connect('t-kill')
    const jsm = await jetstreamManager(nc)
    const stream = 'SW_READINGS_KILL'
    // A stream of its own (streams may not share subjects), so that the count below is this test's alone.
    await jsm.streams.delete(DEFAULT_READINGS_STREAM).catch(() => undefined)
    await ensureReadingsStream(jsm, { name: stream })

    const log = new ReadingLog({ js: jetstream(nc), partitions: PARTITIONS, maxInFlight: 32 })
    const acked = new Map<string, number>()
    let failed = 0
    let stop = false
    const writer = async (w: number) => {
      for (let seq = 0; !stop; seq++) {
        const device = `dev-${w}`
        const msgId = readingMsgId(device, seq, 1_000 + seq)
        try {
          const r = await log.append(`st-${w % 5}`, device, `stations/st-${w % 5}/devices/${device}/state`, enc.encode(JSON.stringify({ seq })), { msgId })
          acked.set(msgId, r.seq)
        } catch {
          failed++
        }
        await sleep(10)
      }
    }
    const writers = Array.from({ length: 8 }, (_, w) => writer(w))
    await sleep(1000)
    const leader = (await jsm.streams.info(stream)).cluster?.leader
    const victim = nats.cluster.nodes.findIndex((n) => n.name === leader)
    expect(victim).toBeGreaterThanOrEqual(0)
    const before = acked.size
    await nats.cluster.kill(victim)
    // Appends go on once a new leader is elected and the client has moved to a live node (a few
    // seconds; more on a loaded machine). Those under way meanwhile wait and are retried.
    await eventually(() => acked.size >= before + 200, 25_000, 'appends acknowledged after the kill')
    stop = true
    await Promise.all(writers)
    expect(failed).toBe(0)

    // Retrying acknowledged ids (devices whose PUBACK was lost) stores nothing new.
    const retried = [...acked.keys()].slice(0, 50)
    for (const msgId of retried) {
      const device = msgId.split(':')[0]!
      const w = Number(device.slice(4))
      const r = await log.append(`st-${w % 5}`, device, 'stations/x/state', enc.encode('{}'), { msgId })
      expect(r).toMatchObject({ duplicate: true, seq: acked.get(msgId) })
    }

    await nats.cluster.restart(victim)
    // The restarted node catches up from the leader in a few seconds (more on a loaded machine).
    const stored = await eventually(() => readAll(jsm, stream), 20_000, 'a read of the whole stream from its leader')
    const ids = stored.map((s) => s.msgId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const [msgId, seq] of acked) expect(stored.find((s) => s.seq === seq)?.msgId).toBe(msgId)
    expect(stored.length).toBe(acked.size)
    await jsm.streams.delete(stream)
  }, 90_000)
})
