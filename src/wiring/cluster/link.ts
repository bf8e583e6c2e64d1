import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import { connectNats } from '../../adapters/nats/connection.ts'
import { FanOutBus } from '../../adapters/nats/fan-out.ts'
import { openPartitionLeases, type PartitionLeases } from '../../adapters/nats/partition-leases.ts'
import { DEFAULT_PARTITIONS, partitionOf } from '../../adapters/nats/partitions.ts'
import { ReadingLog } from '../../adapters/nats/reading-log.ts'
import { ensureReadingsStream } from '../../adapters/nats/readings-stream.ts'

/** What an instance holds of the NATS cluster: the readings log, its leases, the fan-out bus. */
export interface ClusterLink {
  instance: string
  partitions: number
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  readings: ReadingLog
  leases: PartitionLeases
  bus: FanOutBus
  partitionOf(station: string): number
  /** for /api/health: connected to a NATS node now */
  natsOk(): boolean
  close(): Promise<void>
}

/**
 * Connects to the NATS cluster and makes ready what cluster mode needs there (the readings stream,
 * the lease streams and presence bucket, created by the first instance). Nothing is consumed
 * yet: the leases start with the ownership (ownership.ts), once the core can take readings.
 */
export async function joinCluster(o: { servers: string[]; instance: string; partitions?: number; log: Logger }): Promise<ClusterLink> {
  const partitions = o.partitions ?? DEFAULT_PARTITIONS
  const nc = await connectNats({ servers: o.servers, name: o.instance })
  // Connected now, as the client's status events tell it (for /api/health).
  let connected = true
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== 'disconnect' && s.type !== 'reconnect') continue
      connected = s.type === 'reconnect'
      o.log.warn({ nats: s.type, server: s.server }, 'NATS connection')
    }
  })().catch(() => undefined)
  try {
    const js = jetstream(nc, { timeout: 5_000 })
    const jsm = await jetstreamManager(nc, { timeout: 10_000 })
    // A cluster still forming (no JetStream leader yet) is waited for rather than exited on.
    await untilReady(() => ensureReadingsStream(jsm), o.log, 'the readings stream')
    const leases = await untilReady(() => openPartitionLeases(nc, { instance: o.instance, partitions, onError: (err) => o.log.warn({ err }, 'partition leases: a heartbeat failed') }), o.log, 'the lease streams')
    const readings = new ReadingLog({ js, partitions })
    const bus = new FanOutBus({ nc, instance: o.instance })
    return {
      instance: o.instance, partitions, nc, js, jsm, readings, leases, bus,
      partitionOf: (station) => partitionOf(station, partitions),
      natsOk: () => connected && !nc.isClosed(),
      async close() {
        readings.close()
        bus.close()
        await nc.drain().catch(() => nc.close())
      },
    }
  } catch (err) {
    await nc.close()
    throw err
  }
}

/** Retries a start-up step against JetStream for up to a minute, 1 s apart, saying why it waits. */
async function untilReady<T>(step: () => Promise<T>, log: Logger, what: string, forMs = 60_000): Promise<T> {
  const deadline = Date.now() + forMs
  for (;;) {
    try {
      return await step()
    } catch (err) {
      if (Date.now() + 1000 > deadline) throw err
      log.warn({ err }, `NATS JetStream not ready for ${what} yet: trying again in 1 s`)
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}
