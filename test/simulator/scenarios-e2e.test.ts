import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type ExpectStatic } from 'vitest'
import { startService } from '../../src/service.ts'
import { httpIncidents } from '../../simulator/http-incidents.ts'
import type { ExpectedAlert } from '../../simulator/scenario.ts'
import { findScenario, SCENARIO_NAMES } from '../../simulator/scenarios/index.ts'
import { startSimulation } from '../../simulator/simulation.ts'
import type { Summary } from '../../simulator/summary.ts'
import { demoFleet } from './helpers/demo-fleet.ts'

/**
 * Every scenario against the real service (broker, ingest, alert engine, HTTP),
 * each with a fresh service and data folder, the demo station carrying the
 * rules the scenario states for its speed. Asserts on the HTTP API only.
 */
const SPEED = 7200
const ADMIN = { username: 'admin', password: 'e2e-admin-password' }

interface ApiAlert {
  id: string
  station: string
  rule: string
  subject: string
  severity: string
  state: 'active' | 'acknowledged' | 'resolved'
}

async function withService<T>(rules: Record<string, number>, body: (ctx: { mqttUrl: string; api: Api; summaryOf: (name: string) => Promise<Summary> }) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-e2e-'))
  const { station, secrets } = demoFleet(rules)
  mkdirSync(join(dir, 'stations'))
  writeFileSync(join(dir, 'stations', 'xinhua.json'), JSON.stringify(station))
  const service = await startService({
    // The scenarios run 7,200 times faster than real time: a door chattering once a second (real
    // time) would be thousands of messages a second here, so the per-device rate limit (a real-time
    // bound, tested on its own in test/reliability/) is off.
    env: { HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: join(dir, 'data'), STATIONS: join(dir, 'stations'), ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'silent', DEVICE_MAX_MSG_PER_SEC: '0' },
  })
  const api = await apiClient(`http://127.0.0.1:${service.httpPort}`)
  const mqttUrl = `mqtt://127.0.0.1:${service.mqttPort}`
  const running: { stop(): Promise<void> }[] = []
  try {
    return await body({
      mqttUrl,
      api,
      summaryOf: async (name) => {
        const scenario = findScenario(name)
        const sim = startSimulation({
          url: mqttUrl,
          stations: [station],
          secrets,
          scenario,
          seed: 11,
          speed: SPEED,
          ...(scenario.needsIncidents ? { incidents: httpIncidents({ baseUrl: api.base, ...ADMIN }) } : {}),
        })
        running.push(sim)
        return sim.done
      },
    })
  } finally {
    // Devices leave cleanly before the service goes, so no will fires on the way out.
    for (const sim of running) await sim.stop()
    await service.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Api {
  base: string
  get(path: string): Promise<unknown>
}

async function apiClient(base: string): Promise<Api> {
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
  if (login.status !== 200) throw new Error(`POST /api/auth/login: HTTP ${login.status}`)
  const { token } = (await login.json()) as { token: string }
  return {
    base,
    async get(path) {
      const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } })
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`)
      return res.json()
    },
  }
}

const matches = (a: ApiAlert, e: ExpectedAlert): boolean => a.rule === e.rule && a.subject === e.subject

/** Polls until every required alert is there in its final state (the scenario already waited past each threshold). */
async function settledAlerts(api: Api, expected: ExpectedAlert[]): Promise<ApiAlert[]> {
  const until = Date.now() + 5000
  for (;;) {
    const alerts = (await api.get('/api/alerts?station=xinhua&limit=10000')) as ApiAlert[]
    const ready = expected.filter((e) => !e.optional).every((e) => alerts.some((a) => matches(a, e) && (e.state === 'resolved') === (a.state === 'resolved')))
    if (ready || Date.now() > until) return alerts
    await new Promise((r) => setTimeout(r, 100))
  }
}

function expectExactly(expect: ExpectStatic, alerts: ApiAlert[], expected: ExpectedAlert[]): void {
  const describe = (list: { rule: string; subject: string; state?: string }[]) => list.map((a) => `${a.rule} ${a.subject} ${a.state ?? ''}`.trim()).sort()
  const unexpected = alerts.filter((a) => !expected.some((e) => matches(a, e)))
  expect(describe(unexpected), 'alerts the scenario does not expect').toEqual([])
  for (const e of expected) {
    const found = alerts.filter((a) => matches(a, e))
    if (e.optional && found.length === 0) continue
    expect(found.map((a) => ({ severity: a.severity, resolved: a.state === 'resolved' })), `${e.rule} ${e.subject}`).toEqual([
      { severity: e.severity, resolved: e.state === 'resolved' },
    ])
  }
}

// Each test has its own service and ports; a few at once keep the file near 20 s on two cores.
describe('scenarios against the real service', { concurrent: true }, () => {
  it.for(SCENARIO_NAMES)('%s raises exactly the alerts it expects', { timeout: 90_000 }, async (name, { expect }) => {
    await withService(findScenario(name).rules(SPEED), async ({ api, summaryOf }) => {
      const summary = await summaryOf(name)
      expect(summary.counters.connectRefused + summary.counters.publishTimeouts).toBe(0)
      expect(summary.errors).toEqual({})
      expectExactly(expect, await settledAlerts(api, summary.expectedAlerts), summary.expectedAlerts)

      if (name === 'bad-firmware') {
        // Nothing malformed may have reached the live state: doors shut, keys in, every item present.
        const status = (await api.get('/api/stations/xinhua')) as { doors: { open: boolean }[]; keys: { present: boolean }[]; equipment: { present?: boolean }[] }
        expect(status.doors.map((d) => d.open)).toEqual([false, false])
        expect(status.keys.every((k) => k.present)).toBe(true)
        expect(status.equipment.every((i) => i.present !== false)).toBe(true)
        const rejects = (await api.get('/api/rejects?limit=1000')) as { device: string; reason: string }[]
        const mustBeRefused = summary.expectedRejects.filter((r) => r.outcome === 'rejected' || r.outcome === 'refused')
        expect(rejects.length).toBeGreaterThanOrEqual(mustBeRefused.length)
      }
    })
  })
})
