import { expect, test } from 'vitest'
import { clusterOf, envSchema, parseEnv } from '../../src/config/env.ts'
import { clusterCompose as compose, INSTANCES as instances, interpolate, NATS_NODES, readRepoFile as read } from './cluster-compose.ts'

/**
 * docker-compose.cluster.yml and its NATS and haproxy files, read (no Docker engine here); the
 * NATS nodes and the balancer also run from these files in cluster-nats.test.ts and
 * cluster-haproxy.test.ts, and the image is checked against what the compose file runs in
 * cluster-image.test.ts.
 */

test('three NATS 2.9 nodes with JetStream, clustered with routes to each other, each with its own store volume', () => {
  const conf = read('deploy/cluster/nats.conf')
  expect(conf).toMatch(/jetstream\s*\{\s*store_dir:/)
  expect(conf).toMatch(/server_name:\s*\$NATS_NAME/)
  for (const n of NATS_NODES) {
    const s = compose.services[n]!
    expect(s.image).toMatch(/^nats:2\.9/)
    expect(s.environment?.NATS_NAME).toBe(n)
    expect(conf).toContain(`nats-route://${n}:6222`)
    const store = (s.volumes ?? []).find((v) => v.endsWith(':/data'))!
    expect(compose.volumes).toHaveProperty(store.split(':')[0]!)
  }
})

test('three instances in cluster mode: every variable known and valid, distinct INSTANCE_IDs, NATS_URL naming all three nodes', () => {
  const ids = new Set<string>()
  for (const name of instances) {
    const raw = Object.fromEntries(Object.entries(compose.services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]))
    expect(Object.keys(raw).filter((k) => !(k in envSchema.shape))).toEqual([])
    const cluster = clusterOf(parseEnv(raw))!
    expect(cluster.natsServers).toEqual(['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222'])
    expect(new URL(cluster.databaseUrl).hostname).toBe('postgres')
    expect(new URL(raw.INFLUX_URL!).hostname).toBe('influxdb')
    ids.add(cluster.instance)
  }
  expect(ids.size).toBe(3)
  expect(compose.services.postgres!.image).toMatch(/^postgres:15/)
})

test('the load balancer publishes MQTT and HTTP and sends both to every instance', () => {
  const lb = compose.services.lb!
  expect(lb.ports).toEqual(expect.arrayContaining(['1883:1883', '8080:8080']))
  const cfg = read('deploy/cluster/haproxy.cfg')
  expect(cfg).toMatch(/mode tcp/)
  for (const name of instances) {
    expect(cfg).toContain(`${name}:1883`)
    expect(cfg).toContain(`${name}:8080`)
  }
})
