import { afterEach, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectNats } from '../../src/adapters/nats/connection.ts'
import { isCasFailure, LeaseStreams } from '../../src/adapters/nats/lease-streams.ts'
import { openPartitionLeases } from '../../src/adapters/nats/partition-leases.ts'
import { describeWithNats, useNatsCluster } from '../helpers/nats.ts'
import { eventually, sleep } from '../helpers/wait.ts'

const PARTITIONS = 16
const TTL_MS = 3000

interface LogEntry { at: number; instance: string; kind: 'acquired' | 'lost'; partition: number; reason?: string }

/**
 * Every partition's holders over time, from the acquired/lost log: fails if one partition was
 * held by two instances at once (an acquire before the previous holder's lost).
 */
function assertOneHolderAtATime(log: LogEntry[]): void {
  const holder = new Map<number, string>()
  for (const e of log) {
    const now = holder.get(e.partition)
    if (e.kind === 'acquired') {
      expect(now, `partition ${e.partition} acquired by ${e.instance} at ${e.at} while ${now} held it`).toBeUndefined()
      holder.set(e.partition, e.instance)
    } else {
      expect(now, `partition ${e.partition} lost by ${e.instance} which did not hold it`).toBe(e.instance)
      holder.delete(e.partition)
    }
  }
}

describeWithNats('cluster: partition leases in a JetStream KV bucket on a real 3-node cluster', () => {
  const nats = useNatsCluster()
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  })

  const startManager = async (instance: string, log: LogEntry[], bucket: string) => {
    const nc: NatsConnection = await connectNats({ servers: nats.cluster.urls.split(','), name: instance })
    const leases = await openPartitionLeases(nc, { instance, partitions: PARTITIONS, ttlMs: TTL_MS, heartbeatMs: 1000, prefix: bucket, presenceBucket: bucket })
    leases.on('acquired', (partition) => log.push({ at: Date.now(), instance, kind: 'acquired', partition }))
    leases.on('lost', (partition, reason) => log.push({ at: Date.now(), instance, kind: 'lost', partition, reason }))
    cleanups.push(() => nc.close(), () => leases.stop())
    await leases.start()
    return { nc, leases }
  }

  it('a lease write is a compare-and-set: of concurrent writes expecting one sequence, from clients on every node, exactly one wins', async () => {
    const conns = await Promise.all(nats.cluster.nodes.map((n, i) => connectNats({ servers: [n.url], name: `cas-${i}` })))
    cleanups.push(...conns.map((nc) => () => nc.close()))
    const streams = conns.map((nc) => new LeaseStreams(nc, { partitions: 1, ttlMs: 10_000, prefix: 'CAS' }))
    for (const s of streams) await s.ensure()
    for (let round = 0; round < 20; round++) {
      const state = await streams[0]!.read(0)
      const attempts = Array.from({ length: 9 }, (_, i) => streams[i % 3]!.write(0, `writer-${i}`, state.lastSeq))
      const results = await Promise.allSettled(attempts)
      const won = results.filter((r) => r.status === 'fulfilled')
      expect(won, `round ${round}`).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(isCasFailure(r.reason), String(r.reason)).toBe(true)
    }
  }, 60_000)

  it('splits 16 partitions fairly over 3 instances; one that stops without a word has its partitions taken within 15 s, never two holders at once', async () => {
    const log: LogEntry[] = []
    const [a, b, c] = await Promise.all(['inst-a', 'inst-b', 'inst-c'].map((i) => startManager(i, log, 'FAIR')))
    const managers = [a!, b!, c!]

    // Fair: 16 over 3 is 6, 5, 5 — every partition held, by one instance each.
    const counts = () => managers.map((m) => m.leases.owned().length)
    let seen: number[] = []
    await eventually(() => {
      seen = counts()
      return seen.reduce((x, y) => x + y, 0) === PARTITIONS && seen.every((k) => k >= 5 && k <= 6)
    }, 15_000, 'a fair split').catch((err: Error) => {
      throw new Error(`${err.message} (holding ${seen.join(', ')})`)
    })
    const all = managers.flatMap((m) => m.leases.owned()).sort((x, y) => x - y)
    expect(all).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p))
    expect(managers.map((m) => m.leases.liveInstances())).toEqual([3, 3, 3])

    // C's process freezes off the network: its connection closes, it releases nothing.
    const orphaned = c!.leases.owned()
    const stoppedAt = Date.now()
    await c!.nc.close()
    await eventually(() => a!.leases.owned().length + b!.leases.owned().length === PARTITIONS, 15_000, 'A and B to take C’s partitions')
    const takenAt = Date.now()
    expect(takenAt - stoppedAt).toBeLessThan(15_000)
    // C gave every lease up by itself (its renewals failed): it has no partition left.
    expect(c!.leases.owned()).toEqual([])
    for (const p of orphaned) {
      const lost = log.find((e) => e.instance === 'inst-c' && e.kind === 'lost' && e.partition === p)
      expect(lost?.reason).toBe('expired')
      expect(lost!.at - stoppedAt).toBeLessThanOrEqual(TTL_MS + 500)
    }
    assertOneHolderAtATime(log)
    // 16 over the 2 left: 8 each.
    await eventually(() => a!.leases.owned().length === 8 && b!.leases.owned().length === 8, 10_000, 'an even split over two')
    assertOneHolderAtATime(log)
  }, 60_000)

  it('a newcomer gets its share from the others, which release it first; stop with release hands leases over at once', async () => {
    const log: LogEntry[] = []
    const a = await startManager('solo-a', log, 'JOIN')
    await eventually(() => a.leases.owned().length === PARTITIONS, 10_000, 'A to take all 16')
    const b = await startManager('solo-b', log, 'JOIN')
    await eventually(() => a.leases.owned().length === 8 && b.leases.owned().length === 8, 15_000, 'an even split after B joins')
    expect(log.filter((e) => e.instance === 'solo-a' && e.kind === 'lost').every((e) => e.reason === 'released')).toBe(true)

    const releasedAt = Date.now()
    await a.leases.stop({ release: true })
    await eventually(() => b.leases.owned().length === PARTITIONS, 10_000, 'B to take all 16')
    // Released keys are free at once: B does not wait for them to run out (TTL 3 s).
    expect(Date.now() - releasedAt).toBeLessThan(TTL_MS)
    assertOneHolderAtATime(log)
  }, 60_000)

  it('a NATS node SIGKILLed under three instances: never two holders, every partition held again within 15 s', async () => {
    const log: LogEntry[] = []
    const managers = await Promise.all(['k-a', 'k-b', 'k-c'].map((i) => startManager(i, log, 'KILL')))
    const total = () => managers.reduce((n, m) => n + m.leases.owned().length, 0)
    await eventually(() => total() === PARTITIONS, 15_000, 'every partition held')
    const killedAt = Date.now()
    await nats.cluster.kill(2)
    try {
      // Leases whose stream leader was on that node may run out during the election (3 s TTL
      // here); they are won again, by someone, once the stream has a new leader.
      await sleep(TTL_MS)
      await eventually(() => total() === PARTITIONS, 15_000, 'every partition held again')
      expect(Date.now() - killedAt).toBeLessThan(15_000 + TTL_MS)
      const held = managers.flatMap((m) => m.leases.owned()).sort((x, y) => x - y)
      expect(held).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p))
      assertOneHolderAtATime(log)
    } finally {
      await nats.cluster.restart(2)
    }
  }, 60_000)
})
