import { afterAll, beforeAll, describe } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePorts } from './influxd.ts'
import { findProgram, programAvailable } from './programs.ts'

/**
 * A real 3-node NATS cluster with JetStream for tests: Debian's `nats-server` (2.9), each node on
 * free loopback ports (client, cluster routes, monitoring) with its own store directory, as
 * docs/toolchain.md describes. Three nodes, because the streams and buckets are replicated 3 times.
 */

export const NATS_HINT = 'nats-server is not installed: run "apt-get install -y nats-server"'

export function findNatsServer(): string | undefined {
  return findProgram('nats-server')
}

/** In CI (CI=true) a missing nats-server fails the file; elsewhere its tests are skipped with a hint. */
export function natsServerAvailable(): boolean {
  return programAvailable(!!findNatsServer(), NATS_HINT, 'NATS cluster tests')
}

/** `describe` for tests that need a real NATS cluster (see natsServerAvailable). */
export const describeWithNats = (name: string, body: () => void) => describe.skipIf(!natsServerAvailable())(name, body)

/** One cluster for the enclosing describe, started before its first test and removed after its last. */
export function useNatsCluster(): { readonly cluster: NatsCluster } {
  let cluster: NatsCluster | undefined
  beforeAll(async () => {
    cluster = await startNatsCluster()
  })
  afterAll(async () => {
    await cluster?.destroy()
  })
  return {
    get cluster() {
      if (!cluster) throw new Error('the NATS cluster has not started (used outside a test?)')
      return cluster
    },
  }
}

export interface NatsNode {
  readonly name: string
  /** `nats://127.0.0.1:<port>` */
  readonly url: string
  readonly running: boolean
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[]
  /** every node's client URL, comma-separated: what NATS_URL carries */
  readonly urls: string
  readonly dir: string
  /** SIGKILL node `i` and wait for its exit; the others keep running */
  kill(i: number): Promise<void>
  /** start node `i` again on the same ports and store, and wait until it sees a JetStream meta leader */
  restart(i: number): Promise<void>
  /** resolves once every running node reports the same JetStream meta leader */
  waitForMetaLeader(timeoutMs?: number): Promise<string>
  /** stop every node (SIGTERM, then SIGKILL) and remove the directory */
  destroy(): Promise<void>
}

const spawned = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of spawned) c.kill('SIGKILL')
})

interface NodePorts { client: number; cluster: number; monitor: number }

export async function startNatsCluster(opts: { size?: number } = {}): Promise<NatsCluster> {
  const bin = findNatsServer()
  if (!bin) throw new Error(NATS_HINT)
  const size = opts.size ?? 3
  let lastErr: unknown
  for (let attempt = 0; attempt < 4; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'sw-nats-'))
    const ports = await freePorts(size * 3)
    const nodes = Array.from({ length: size }, (_, i): NodePorts => ({ client: ports[3 * i]!, cluster: ports[3 * i + 1]!, monitor: ports[3 * i + 2]! }))
    const cluster = new Cluster(bin, dir, nodes)
    try {
      await Promise.all(nodes.map((_, i) => cluster.launch(i)))
      await cluster.waitForMetaLeader(20_000)
      return cluster
    } catch (err) {
      lastErr = err // most likely a port taken between finding and binding it: try others
      await cluster.destroy()
    }
  }
  throw lastErr
}

class Cluster implements NatsCluster {
  private readonly children: (ChildProcess | undefined)[]

  constructor(private readonly bin: string, readonly dir: string, private readonly ports: NodePorts[]) {
    this.children = ports.map(() => undefined)
  }

  get nodes(): NatsNode[] {
    return this.ports.map((p, i) => ({ name: `n${i + 1}`, url: `nats://127.0.0.1:${p.client}`, running: this.children[i] !== undefined }))
  }

  get urls(): string {
    return this.nodes.map((n) => n.url).join(',')
  }

  async launch(i: number): Promise<void> {
    const name = `n${i + 1}`
    const p = this.ports[i]!
    const store = join(this.dir, name)
    mkdirSync(store, { recursive: true })
    const routes = this.ports.map((o) => `nats-route://127.0.0.1:${o.cluster}`).join(', ')
    const conf = join(this.dir, `${name}.conf`)
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${p.client}`,
      `http: 127.0.0.1:${p.monitor}`,
      `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 1GB }`,
      `cluster { name: sw-test, listen: 127.0.0.1:${p.cluster}, routes: [${routes}] }`,
      '',
    ].join('\n'))
    const log = openSync(join(this.dir, `${name}.log`), 'a')
    const c = spawn(this.bin, ['-c', conf], { stdio: ['ignore', log, log] })
    closeSync(log)
    spawned.add(c)
    this.children[i] = c
    let exited = false
    c.once('exit', () => {
      exited = true
      spawned.delete(c)
      if (this.children[i] === c) this.children[i] = undefined
    })
    const end = Date.now() + 10_000
    for (;;) {
      if (exited) throw new Error(`nats-server ${name} exited during start-up (see ${join(this.dir, `${name}.log`)})`)
      if (await this.jsz(i)) return
      if (Date.now() > end) throw new Error(`nats-server ${name} did not answer /jsz within 10 s (see ${join(this.dir, `${name}.log`)})`)
      await pause(50)
    }
  }

  /** The node's JetStream report (monitoring port), or undefined while it does not answer. */
  private async jsz(i: number): Promise<{ meta_cluster?: { leader?: string; cluster_size?: number } } | undefined> {
    try {
      const r = await fetch(`http://127.0.0.1:${this.ports[i]!.monitor}/jsz`, { signal: AbortSignal.timeout(1000) })
      return r.ok ? ((await r.json()) as { meta_cluster?: { leader?: string } }) : undefined
    } catch {
      return undefined
    }
  }

  async waitForMetaLeader(timeoutMs = 20_000): Promise<string> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const running = this.children.flatMap((c, i) => (c ? [i] : []))
      const leaders = await Promise.all(running.map(async (i) => (await this.jsz(i))?.meta_cluster?.leader))
      const first = leaders[0]
      // A killed leader is still named by the others until they notice: wait for a live one.
      if (first && running.some((i) => `n${i + 1}` === first) && leaders.every((l) => l === first)) return first
      if (Date.now() > end) throw new Error(`no JetStream meta leader agreed within ${timeoutMs} ms (nodes report ${JSON.stringify(leaders)}; logs in ${this.dir})`)
      await pause(100)
    }
  }

  async kill(i: number): Promise<void> {
    const c = this.children[i]
    if (!c) return
    this.children[i] = undefined
    c.kill('SIGKILL')
    await exitOf(c, 5000)
  }

  async restart(i: number): Promise<void> {
    await this.kill(i)
    await this.launch(i)
    await this.waitForMetaLeader()
  }

  async destroy(): Promise<void> {
    await Promise.all(this.children.map(async (c, i) => {
      if (!c) return
      this.children[i] = undefined
      c.kill('SIGTERM')
      await exitOf(c, 5000)
    }))
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Waits for the exit; SIGKILL if it has not come after `timeoutMs`. */
function exitOf(c: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve()
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs)
    c.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
