/** Starting what a benchmark measures, each in its own process. */
import { rmSync } from 'node:fs'
import { ADMIN_PASSWORD } from '../../test/helpers/service.ts'
import { tempDir } from '../../test/helpers/station-fixture.ts'
import { startChild, type Child } from './child.ts'

export { ADMIN_PASSWORD }

export interface ServiceChild {
  child: Child
  mqttPort: number
  httpPort: number
  dataDir: string
  /** startService() until `listening`, in the child */
  startupMs: number
  api(path: string, init?: { method?: string; body?: unknown }): Promise<any>
  stop(opts?: { keepData?: boolean }): Promise<void>
}

export interface ServiceOptions {
  stationsDir: string
  dataDir?: string
  influxUrl?: string
  /** write a V8 CPU profile (node --cpu-prof) into this folder when the service stops */
  profileDir?: string
  env?: Record<string, string>
}

export async function startServiceChild(o: ServiceOptions): Promise<ServiceChild> {
  const dataDir = o.dataDir ?? tempDir('sw-bench-data-')
  // BENCH_NODE_ARGS: extra node flags for the service only (e.g. --max-semi-space-size=64), for experiments.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const execArgv = ['--expose-gc', ...extra, ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])]
  const child = startChild('./service-child.ts', { execArgv, name: 'service' })
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    HTTP_PORT: '0',
    DATA_DIR: dataDir,
    STATIONS: o.stationsDir,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'info',
    // Load runs: the per-device flood limit would throttle the generator's devices.
    DEVICE_MAX_MSG_PER_SEC: '0',
    ...(o.influxUrl ? { INFLUX_URL: o.influxUrl } : {}),
    ...o.env,
  }
  let started: { mqttPort: number; httpPort: number; startupMs: number }
  try {
    started = await child.request('start', { env }, 120_000)
  } catch (err) {
    child.kill()
    throw err
  }
  let token: string | undefined
  const base = `http://127.0.0.1:${started.httpPort}`
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    token ??= ((await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })).json()) as { token: string }).token
    const r = await fetch(base + path, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) })
    const text = await r.text()
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return {
    child,
    ...started,
    dataDir,
    api,
    async stop(opts = {}) {
      await child.stop(20_000)
      if (!opts.keepData && !o.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export async function startBareBroker(o: { profileDir?: string } = {}): Promise<{ child: Child; mqttPort: number; stop(): Promise<void> }> {
  const child = startChild('./bare-broker-child.ts', { execArgv: ['--expose-gc', ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])], name: 'bare-aedes' })
  const { mqttPort } = await child.request<{ mqttPort: number }>('start')
  return { child, mqttPort, stop: () => child.stop() }
}

export function startLoad(): Child {
  return startChild('./load-child.ts', { name: 'load' })
}

export function startObserver(): Child {
  return startChild('./observer-child.ts', { name: 'observer' })
}

/** A counter of the service's /metrics text. */
export function metric(text: string, re: RegExp): number {
  return Number(re.exec(text)?.[1] ?? NaN)
}

export async function metricsText(svc: ServiceChild): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${svc.httpPort}/metrics`)
  return r.text()
}
