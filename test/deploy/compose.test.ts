import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { envSchema, parseEnv } from '../../src/config/env.ts'
import { parseCliArgs } from '../../simulator/cli-args.ts'
import { contractMeasurements, ROOT } from './contract-measurements.ts'

/**
 * docker-compose.yml, the Dockerfile and the Grafana provisioning, checked by reading them:
 * no Docker engine runs here, so these tests are what keeps the files honest.
 */

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8')
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}
interface Service {
  image?: string
  build?: string | { context: string; dockerfile?: string }
  command?: string[]
  environment?: Record<string, string>
  ports?: string[]
  volumes?: string[]
  depends_on?: string[] | Record<string, unknown>
}

const svc = (name: string): Service => {
  const s = compose.services[name]
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`)
  return s
}
/** `${VAR:-default}` as compose fills it in when VAR is unset. */
const interpolate = (v: string) => v.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name, dflt: string | undefined) => dflt ?? '')
const env = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]))
/** `[host-ip:]host:container` → the container port and where it is published. */
const ports = (s: Service) =>
  (s.ports ?? []).map((p) => {
    const parts = p.split(':')
    return { container: Number(parts.at(-1)), host: Number(parts.at(-2)), ip: parts.length === 3 ? parts[0] : '0.0.0.0' }
  })
/** `source:target[:mode]` */
const mounts = (s: Service) =>
  (s.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(':')
    return { source: source!, target: target!, mode, named: !source!.startsWith('.') && !source!.startsWith('/') }
  })
const dependsOn = (s: Service) => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}))

const stationwatchEnv = env(svc('stationwatch'))
const influxUrl = new URL(stationwatchEnv.INFLUX_URL!)
const database = influxUrl.pathname.slice(1)

describe('docker-compose.yml', () => {
  test('runs InfluxDB, stationwatch, the simulator and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'influxdb', 'simulator', 'stationwatch'])
  })

  test('influxdb: InfluxDB 1.8 (the npm influx client speaks 1.x), data on a named volume, published on loopback only', () => {
    const s = svc('influxdb')
    expect(s.image).toMatch(/^influxdb:1\.8(\.|$)/)
    const data = mounts(s).find((m) => m.target === '/var/lib/influxdb')
    expect(data?.named).toBe(true)
    expect(compose.volumes).toHaveProperty(data!.source)
    for (const p of ports(s)) expect(p.ip).toBe('127.0.0.1')
  })

  test('stationwatch: built here, INFLUX_URL pointing at the influxdb service, MQTT and HTTP published, DATA_DIR on a volume', () => {
    const s = svc('stationwatch')
    const context = typeof s.build === 'string' ? s.build : s.build?.context
    expect(context).toBe('.')
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true)
    // Every variable is one the service understands, with a valid value (as start-up would check).
    const parsed = parseEnv(stationwatchEnv)
    const known = new Set([...Object.keys(envSchema.shape), 'INFLUX_SPOOL_MAX_MB'])
    expect(Object.keys(stationwatchEnv).filter((k) => !known.has(k))).toEqual([])
    expect(Number(stationwatchEnv.INFLUX_SPOOL_MAX_MB)).toBeGreaterThan(0)
    expect(influxUrl.protocol).toBe('http:')
    expect(influxUrl.hostname).toBe('influxdb')
    expect(Number(influxUrl.port || 8086)).toBe(8086)
    expect(database).toMatch(/^[a-z][a-z0-9_]*$/)
    expect(dependsOn(s)).toContain('influxdb')
    const published = ports(s).map((p) => p.container)
    expect(published).toContain(parsed.MQTT_PORT)
    expect(published).toContain(parsed.HTTP_PORT)
    expect(parsed.HOST).toBe('0.0.0.0')
    const data = mounts(s).find((m) => m.target === parsed.DATA_DIR)
    expect(data?.named).toBe(true)
    expect(compose.volumes).toHaveProperty(data!.source)
  })

  test('simulator: the stationwatch image, publishing a known scenario to the stationwatch broker', () => {
    const s = svc('simulator')
    expect(s.image).toBe(svc('stationwatch').image)
    expect(dependsOn(s)).toContain('stationwatch')
    const cmd = s.command ?? []
    const script = cmd.indexOf('simulator/cli.ts')
    expect(script).toBeGreaterThan(0)
    expect(existsSync(join(ROOT, 'simulator/cli.ts'))).toBe(true)
    const args = parseCliArgs(cmd.slice(script + 1))
    expect(args.url).toBe(`mqtt://stationwatch:${parseEnv(stationwatchEnv).MQTT_PORT}`)
    expect(args.scenario).toBeTruthy()
  })

  test('grafana: provisioning and dashboards mounted read-only from dashboards/grafana', () => {
    const s = svc('grafana')
    expect(s.image).toMatch(/^grafana\/grafana:\d/)
    expect(dependsOn(s)).toContain('influxdb')
    expect(ports(s).map((p) => p.container)).toContain(3000)
    const m = mounts(s)
    const provisioning = m.find((x) => x.target === '/etc/grafana/provisioning')
    expect(provisioning).toMatchObject({ source: './dashboards/grafana/provisioning', mode: 'ro' })
    const provider = parse(read('dashboards/grafana/provisioning/dashboards/stationwatch.yml')) as { providers: { options: { path: string } }[] }
    const dashboards = m.find((x) => x.target === provider.providers[0]!.options.path)
    expect(dashboards?.mode).toBe('ro')
    expect(existsSync(join(ROOT, dashboards!.source, 'stationwatch.json'))).toBe(true)
    for (const x of m.filter((x) => !x.named)) expect(existsSync(join(ROOT, x.source)), x.source).toBe(true)
  })

  test('every named volume is declared', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s).filter((x) => x.named)) expect(compose.volumes, `${name}: ${m.source}`).toHaveProperty(m.source)
    }
  })
})

describe('Dockerfile', () => {
  const docker = read('Dockerfile')
  test('runs the service with tsx, exposes MQTT and HTTP, keeps /data on a volume', () => {
    expect(docker).toMatch(/^FROM node:20/m)
    expect(docker).toMatch(/^CMD \["node", "--import", "tsx", "src\/main\.ts"\]$/m)
    expect(docker).toMatch(/^EXPOSE 1883 8080$/m)
    expect(docker).toMatch(/DATA_DIR=\/data/)
    expect(docker).toMatch(/^VOLUME \["\/data"\]$/m)
    expect(docker).toMatch(/npm ci --omit=dev/)
    for (const src of docker.matchAll(/^COPY (?!--from)(\S+) /gm)) {
      for (const f of src[1]!.split(' ')) expect(existsSync(join(ROOT, f)), f).toBe(true)
    }
  })
  test('.dockerignore keeps node_modules, data and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim())
    for (const x of ['node_modules', 'data', '.env', '.git']) expect(ignored).toContain(x)
  })
})

describe('Grafana provisioning', () => {
  const ds = (parse(read('dashboards/grafana/provisioning/datasources/influxdb.yml')) as { datasources: Record<string, any>[] }).datasources
  const dash = JSON.parse(read('dashboards/grafana/dashboards/stationwatch.json'))
  const contract = contractMeasurements()

  test("data source: InfluxDB at the influxdb service, on the database of stationwatch's INFLUX_URL", () => {
    expect(ds).toHaveLength(1)
    expect(ds[0]).toMatchObject({ type: 'influxdb', access: 'proxy', url: `http://influxdb:${influxUrl.port || 8086}`, database })
    expect(ds[0]!.uid).toBeTruthy()
  })

  test('dashboard: panels for doors, keys, equipment, device health and alerts, all on that data source', () => {
    const panels = (dash.panels as any[]).filter((p) => p.type !== 'row')
    const measurementsOf = (p: any) => new Set((p.targets as any[]).flatMap((t) => fromClauses(t.query)))
    for (const m of ['door', 'key', 'item', 'device', 'alert']) expect(panels.some((p) => measurementsOf(p).has(m)), m).toBe(true)
    const titles = panels.map((p) => String(p.title).toLowerCase()).join(' | ')
    for (const word of ['door', 'key', 'equipment', 'battery', 'online', 'alert']) expect(titles).toContain(word)
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(ds[0]!.uid)
      for (const t of p.targets) expect(t.datasource?.uid ?? p.datasource.uid).toBe(ds[0]!.uid)
    }
    expect(new Set((dash.panels as any[]).map((p) => p.id)).size).toBe(dash.panels.length)
  })

  test("every query reads the contract's measurements, and only their fields and tags", () => {
    const queries: string[] = [
      ...(dash.panels as any[]).flatMap((p) => (p.targets ?? []).map((t: any) => t.query)),
      ...dash.templating.list.map((v: any) => v.query),
      ...dash.annotations.list.filter((a: any) => a.query).map((a: any) => a.query),
    ]
    expect(queries.length).toBeGreaterThan(5)
    for (const q of queries) {
      const from = fromClauses(q)
      expect(from, q).toHaveLength(1)
      const m = contract.get(from[0]!)
      expect(m, `${q}: measurement ${from[0]} is not in contract §7`).toBeDefined()
      const known = new Set([...m!.tags, ...m!.fields])
      for (const id of identifiers(q)) expect(known.has(id), `${q}: "${id}" is neither a tag nor a field of ${from[0]}`).toBe(true)
      const group = /GROUP BY (.*?)(?: fill\(|$| ORDER| LIMIT)/i.exec(q)?.[1]
      for (const g of (group ?? '').split(',').map((x) => x.trim()).filter((x) => x && !x.startsWith('time('))) {
        expect(m!.tags, `${q}: GROUP BY ${g} is not a tag`).toContain(g.replace(/"/g, ''))
      }
    }
  })
})

/** Measurement names after FROM (quoted or not, with or without a retention policy). */
function fromClauses(q: string): string[] {
  return [...q.matchAll(/FROM\s+(?:"?\w+"?\.)?"?(\w+)"?/gi)].map((m) => m[1]!)
}

/** Double-quoted identifiers of a query other than the measurement after FROM. */
function identifiers(q: string): string[] {
  const withoutFrom = q.replace(/FROM\s+(?:"?\w+"?\.)?"?\w+"?/gi, '')
  return [...withoutFrom.matchAll(/"(\w+)"/g)].map((m) => m[1]!)
}
