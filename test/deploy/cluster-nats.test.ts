import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { freePorts } from '../helpers/influxd.ts'
import { describeWithNats, findNatsServer } from '../helpers/nats.ts'
import { eventually } from '../helpers/wait.ts'
import { clusterCompose, INSTANCES, NATS_NODES, readRepoFile, serviceEnv } from './cluster-compose.ts'

/**
 * deploy/cluster/nats.conf run by the real nats-server (Debian's 2.9, the compose file's image
 * line): each node with the NATS_NAME compose gives it, from a copy of the file in which only the
 * host names, ports and the store directory are replaced, since here the three share one host.
 */
const CONF = 'deploy/cluster/nats.conf'
const conf = readRepoFile(CONF)

/** The client port the instances' NATS_URL names on every node. */
const clientPortOfInstances = (): number[] => [...new Set(serviceEnv('sw-1').NATS_URL!.split(',').map((u) => Number(new URL(u).port)))]

interface Ports { client: number; cluster: number; monitor: number }

/** The one line `pattern` matches (its first group), or an error naming what the file lacks. */
function only(pattern: RegExp, what: string): RegExpMatchArray {
  const all = [...conf.matchAll(new RegExp(pattern.source, 'gm'))]
  if (all.length !== 1) throw new Error(`${CONF}: expected one ${what}, found ${all.length}`)
  return all[0]!
}

/** The file with this host's ports and directories in place of the compose network's. */
function localCopy(ports: Ports[], node: number, store: string): string {
  const listen = only(/^\s*listen:\s*0\.0\.0\.0:(\d+)\s*$/, 'cluster listen line')
  return conf
    .replace(only(/^port:\s*\d+\s*$/, 'client port line')[0], `port: ${ports[node]!.client}`)
    .replace(only(/^http_port:\s*\d+\s*$/, 'monitoring port line')[0], `http_port: ${ports[node]!.monitor}`)
    .replace(only(/^\s*store_dir:\s*\S+\s*$/, 'JetStream store_dir line')[0], `  store_dir: "${store}"`)
    .replace(listen[0], `  listen: 127.0.0.1:${ports[node]!.cluster}`)
    .replace(/nats-route:\/\/([\w-]+):(\d+)/g, (_m, host: string) => `nats-route://127.0.0.1:${ports[NATS_NODES.indexOf(host)]!.cluster}`)
}

describeWithNats('deploy/cluster/nats.conf on three real nats-server nodes', () => {
  const bin = findNatsServer()!
  let dir: string
  let ports: Ports[]
  const nodes: ChildProcess[] = []

  const jsz = async (p: Ports): Promise<{ meta_cluster?: { leader?: string; cluster_size?: number } } | undefined> => {
    const r = await fetch(`http://127.0.0.1:${p.monitor}/jsz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined)
    return r?.ok ? ((await r.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } }) : undefined
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-deploy-nats-'))
    const free = await freePorts(NATS_NODES.length * 3)
    ports = NATS_NODES.map((_, i) => ({ client: free[3 * i]!, cluster: free[3 * i + 1]!, monitor: free[3 * i + 2]! }))
    NATS_NODES.forEach((name, i) => {
      const store = join(dir, name)
      mkdirSync(store)
      const file = join(dir, `${name}.conf`)
      writeFileSync(file, localCopy(ports, i, store))
      const log = openSync(join(dir, `${name}.log`), 'a')
      // The compose file's command, with the copy in place of /etc/nats/nats.conf.
      const args = clusterCompose.services[name]!.command!.map((a) => (a === '/etc/nats/nats.conf' ? file : a))
      nodes.push(spawn(bin, args, { env: { ...process.env, ...serviceEnv(name) }, stdio: ['ignore', log, log] }))
      closeSync(log)
    })
  })

  afterAll(async () => {
    await Promise.all(nodes.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      c.once('exit', () => resolve())
      c.kill('SIGTERM')
      setTimeout(() => c.kill('SIGKILL'), 5000).unref()
    })))
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('the file is valid as each node reads it (nats-server -t), and needs the NATS_NAME compose sets', () => {
    for (const name of NATS_NODES) {
      const r = spawnSync(bin, ['-c', join(process.cwd(), CONF), '-t'], { env: { ...process.env, ...serviceEnv(name) }, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
    }
    const { NATS_NAME: _unset, ...withoutName } = process.env
    const r = spawnSync(bin, ['-c', join(process.cwd(), CONF), '-t'], { env: withoutName, encoding: 'utf8' })
    expect(r.stderr).toMatch(/NATS_NAME/)
    expect(r.status).not.toBe(0)
  })

  test('the instances reach the nodes on the client port the file opens, and the routes name exactly the three nodes', () => {
    expect(clientPortOfInstances()).toEqual([Number(only(/^port:\s*(\d+)\s*$/, 'client port line')[1])])
    const listenPort = only(/^\s*listen:\s*0\.0\.0\.0:(\d+)\s*$/, 'cluster listen line')[1]
    const routes = [...conf.matchAll(/nats-route:\/\/([\w-]+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`)
    expect(routes.sort()).toEqual(NATS_NODES.map((n) => `${n}:${listenPort}`))
    // The store is on the volume compose mounts at /data.
    expect(only(/^\s*store_dir:\s*(\S+)\s*$/, 'JetStream store_dir line')[1]).toMatch(/^\/data\//)
  })

  test('the three form one JetStream cluster under their compose names, and a stream replicated 3 times is created and written', async () => {
    const meta = await eventually(async () => {
      const reports = await Promise.all(ports.map(jsz))
      const leader = reports[0]?.meta_cluster?.leader
      return leader && reports.every((r) => r?.meta_cluster?.leader === leader && r.meta_cluster.cluster_size === 3) ? { leader } : undefined
    }, 20_000, `one JetStream meta leader agreed by all three nodes (logs in ${dir})`)
    expect(NATS_NODES).toContain(meta.leader)

    const nc = await connect({ servers: ports.map((p) => `nats://127.0.0.1:${p.client}`) })
    try {
      const jsm = await jetstreamManager(nc)
      // Right after the election a peer may not be placeable yet: retried for a few seconds.
      await eventually(async () => jsm.streams.add({ name: 'deploy-check', subjects: ['deploy.check'], num_replicas: 3 }), 15_000, 'a 3-replica stream')
      const ack = await jetstream(nc).publish('deploy.check', 'hello')
      expect(ack.seq).toBe(1)
      const info = await eventually(async () => {
        const i = await jsm.streams.info('deploy-check')
        return i.cluster?.replicas?.length === 2 && i.cluster.replicas.every((r) => r.current) ? i : undefined
      }, 10_000, 'both replicas current')
      expect([info.cluster!.leader, ...info.cluster!.replicas!.map((r) => r.name)].sort()).toEqual(NATS_NODES)
      expect(info.state.messages).toBe(1)
    } finally {
      await nc.close()
    }
  })

  test('the compose healthcheck asks the monitoring port the file opens, and every node answers it healthy once clustered', async () => {
    const monitorPort = Number(only(/^http_port:\s*(\d+)\s*$/, 'monitoring port line')[1])
    for (const [i, name] of NATS_NODES.entries()) {
      const probe = new URL(clusterCompose.services[name]!.healthcheck!.test.find((a) => a.startsWith('http://'))!)
      expect(Number(probe.port)).toBe(monitorPort)
      await eventually(async () => (await fetch(`http://127.0.0.1:${ports[i]!.monitor}${probe.pathname}${probe.search}`)).status === 200, 20_000, `${name} healthy`)
    }
    // The instances start once the nodes are healthy: JetStream is there for their streams.
    for (const sw of INSTANCES) for (const n of NATS_NODES) expect(clusterCompose.services[sw]!.depends_on?.[n]?.condition).toBe('service_healthy')
  })
})
