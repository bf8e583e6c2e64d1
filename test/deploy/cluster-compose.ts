import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT } from './contract-measurements.ts'

/** docker-compose.cluster.yml as compose reads it (YAML merge keys resolved), for the deploy tests. */

export interface ClusterService {
  image?: string
  build?: string
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
}

export const readRepoFile = (p: string): string => readFileSync(join(ROOT, p), 'utf8')

export const clusterCompose = parse(readRepoFile('docker-compose.cluster.yml'), { merge: true }) as { services: Record<string, ClusterService>; volumes: Record<string, unknown> }

/** `${VAR:-default}` as compose fills it in when VAR is unset. */
export const interpolate = (v: string): string => v.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name, dflt: string | undefined) => dflt ?? '')

/** A service's environment as compose hands it over with nothing set in .env. */
export const serviceEnv = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(clusterCompose.services[name]?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]))

export const NATS_NODES = ['nats-1', 'nats-2', 'nats-3']
export const INSTANCES = ['sw-1', 'sw-2', 'sw-3']
