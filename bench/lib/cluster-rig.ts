/**
 * A whole cluster for a benchmark (contract v2 §F): a 3-node NATS cluster with JetStream and one
 * PostgreSQL, both from the test helpers (free loopback ports, temp dirs), and three service
 * instances in cluster mode, each in a process of its own (bench/lib/service-child.ts), all on
 * one station directory. `destroy` stops everything and removes every temp dir; it may be called
 * more than once (from the benchmark's `finally` and from the runner's exit hooks).
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { startNatsCluster, type NatsCluster } from '../../test/helpers/nats.ts'
import { startPostgres, type Postgres } from '../../test/helpers/postgres.ts'
import { rmSync } from 'node:fs'
import { tempDir } from '../../test/helpers/station-fixture.ts'
import { sleep } from './stats.ts'
import { startServiceChild, type ServiceChild } from './targets.ts'

export interface ClusterInstance { id: string; svc: ServiceChild }

export interface ClusterRig {
  nats: NatsCluster
  postgres: Postgres
  instances: ClusterInstance[]
  /** station → instance id that owns it now (from every instance's /api/health) */
  owners(): Promise<Map<string, string>>
  /** readings appended to the stream but not yet applied and acknowledged by their owners */
  backlog(): Promise<{ lastSeq: number; pending: number; ackPending: number }>
  /** waits until the backlog is empty, or `timeoutMs` has passed; resolves with what is left */
  drain(timeoutMs: number): Promise<number>
  destroy(): Promise<void>
}

/**
 * `onDestroy` gets `destroy` before anything starts, so that a Ctrl-C during start-up removes what
 * was started so far (the rig itself is returned only once every instance is up).
 */
export async function startClusterRig(o: { stationsDir: string; instances?: number; log(m: string): void; onDestroy?(destroy: () => Promise<void>): void }): Promise<ClusterRig> {
  const started = performance.now()
  let nats: NatsCluster | undefined
  let postgres: Postgres | undefined
  let natsStarting: Promise<NatsCluster> | undefined
  let postgresStarting: Promise<Postgres> | undefined
  let nc: NatsConnection | undefined
  let jsm: JetStreamManager | undefined
  const instances: ClusterInstance[] = []
  // Made here rather than by startServiceChild, so that they are known (and removed) even when an instance's start is cut short.
  const dataDirs = Array.from({ length: o.instances ?? 3 }, (_, k) => tempDir(`sw-bench-cluster-i${k + 1}-`))
  let destroyed: Promise<void> | undefined
  const destroy = () =>
    (destroyed ??= (async () => {
      // Instances first (they give their leases back and close their NATS and database
      // connections), then the servers they used.
      await Promise.all(instances.map((i) => i.svc.stop().catch(() => undefined)))
      await nc?.close().catch(() => undefined)
      // Still starting (a Ctrl-C in the first seconds): wait for them, then stop them.
      await natsStarting?.then((n) => n.destroy()).catch(() => undefined)
      await postgresStarting?.then((p) => p.destroy()).catch(() => undefined)
      for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
    })())
  o.onDestroy?.(destroy)
  try {
    natsStarting = startNatsCluster()
    postgresStarting = startPostgres()
    ;[nats, postgres] = await Promise.all([natsStarting, postgresStarting])
    const databaseUrl = await postgres.createDatabase()
    o.log(`  NATS (3 nodes) and PostgreSQL up in ${Math.round(performance.now() - started)} ms`)
    // One after another: the first creates the stream and runs the migrations, as in a roll-out.
    for (const [k, dataDir] of dataDirs.entries()) {
      const id = `i${k + 1}`
      if (destroyed) throw new Error('stopped during start-up')
      const svc = await startServiceChild({ stationsDir: o.stationsDir, dataDir, env: { NATS_URL: nats.urls, DATABASE_URL: databaseUrl, INSTANCE_ID: id } })
      instances.push({ id, svc })
    }
    // The benchmark's own connection, to read the readings stream's consumers from their leaders.
    nc = await connect({ servers: nats.urls.split(','), name: 'bench' })
    jsm = await jetstreamManager(nc, { timeout: 10_000 })
  } catch (err) {
    await destroy()
    throw err
  }
  const rig: ClusterRig = {
    nats,
    postgres,
    instances,
    async owners() {
      const map = new Map<string, string>()
      for (const i of instances) {
        const h = (await (await fetch(`http://127.0.0.1:${i.svc.httpPort}/api/health`)).json()) as { cluster?: { instance: string; stations: string[] } }
        if (!h.cluster) throw new Error(`${i.id} is not in cluster mode (no "cluster" in /api/health)`)
        for (const s of h.cluster.stations) map.set(s, i.id)
      }
      return map
    },
    async backlog() {
      // From the client API, which asks each consumer's leader: the replicas' /jsz lags behind.
      const stream = await jsm.streams.info('SW_READINGS')
      let pending = 0
      let ackPending = 0
      for await (const c of jsm.consumers.list('SW_READINGS')) (pending += c.num_pending), (ackPending += c.num_ack_pending)
      return { lastSeq: stream.state.last_seq, pending, ackPending }
    },
    async drain(timeoutMs) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const b = await rig.backlog()
        const left = b.pending + b.ackPending
        if (left === 0 || Date.now() > end) return left
        await sleep(200)
      }
    },
    destroy,
  }
  return rig
}

/**
 * Waits until every station has an owner and the owners have stayed the same for `stableMs`
 * (an instance that started first hands partitions to the later ones as their leases come up).
 */
export async function settleOwnership(rig: ClusterRig, stations: number, o: { stableMs: number; timeoutMs: number }): Promise<Map<string, string>> {
  const end = Date.now() + o.timeoutMs
  let last = ''
  let since = Date.now()
  for (;;) {
    const owners = await rig.owners()
    const now = JSON.stringify([...owners].sort())
    if (now !== last || owners.size < stations) ((last = now), (since = Date.now()))
    else if (Date.now() - since >= o.stableMs) return owners
    if (Date.now() > end) throw new Error(`ownership did not settle within ${o.timeoutMs} ms (${owners.size} of ${stations} stations owned)`)
    await sleep(250)
  }
}
