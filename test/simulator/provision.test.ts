// Load mode through the admin API (contract v2 §E) against the real service: the simulator creates
// its generated stations and devices with POST /api/stations and …/devices instead of writing
// station files, connects every device with the secret the service issued, and its readings land.
// A second run finds the stations there, updates them and rotates the devices' secrets.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { provisionThroughApi } from '../../simulator/api-provision.ts'
import { scaledRules } from '../../simulator/scenario.ts'
import { serviceApi } from '../../simulator/service-api.ts'
import { startSimulation } from '../../simulator/simulation.ts'
import { synthesizeStations } from '../../simulator/synthetic-stations.ts'
import { spawnNode } from '../helpers/process.ts'
import { ADMIN_PASSWORD, startTestService, type TestService } from '../helpers/service.ts'
import { eventually } from '../helpers/wait.ts'
import { demoFleet } from './helpers/demo-fleet.ts'

const SPEED = 36_000
let t: TestService
let dir: string
/** the secrets the first run was issued */
let issued: Record<string, string> = {}

beforeAll(async () => {
  t = await startTestService()
  dir = mkdtempSync(join(tmpdir(), 'sim-provision-'))
})
afterAll(async () => {
  await t?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const admin = () => serviceApi({ baseUrl: t.base, username: 'admin', password: ADMIN_PASSWORD })

describe('simulator load mode through the admin API', () => {
  it('creates the stations and devices in the running service, connects with the issued secrets and publishes', async () => {
    const { station: template } = demoFleet()
    // more stations than the login throttle allows parallel logins (5): the client logs in once
    const { stations } = synthesizeStations(template, 9, { rules: scaledRules(SPEED) })
    const result = await provisionThroughApi(admin(), stations)
    const devices = stations.flatMap((s) => s.devices.map((d) => d.id))
    expect(result).toMatchObject({ created: 9, updated: 0, devicesAdded: devices.length, secretsRotated: 0 })
    expect(Object.keys(result.secrets).sort()).toEqual([...devices].sort())
    issued = result.secrets
    // the service knows them now, as the simulator described them
    const listed = await t.api('/api/stations')
    expect(listed.body.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(stations.map((s) => s.id)))
    const config = await t.api('/api/stations/s0002/config')
    expect(config.status).toBe(200)
    expect(config.body.equipment).toHaveLength(template.equipment.length)
    expect(config.body.devices.map((d: { id: string }) => d.id).sort()).toEqual(stations[1]!.devices.map((d) => d.id).sort())

    const sim = startSimulation({ url: `mqtt://127.0.0.1:${t.svc.mqttPort}`, stations: result.stations, secrets: result.secrets, scenario: 'normal-day', seed: 3, speed: SPEED, timeLimitSeconds: 20 })
    await sim.ready
    expect(sim.counters).toMatchObject({ connects: devices.length, connectRefused: 0, connectFailed: 0 })
    // readings arrive: every device of s0003 is online and its doors are known
    await eventually(async () => {
      const s = (await t.api('/api/stations/s0003')).body
      return s.devices.every((d: { online: boolean }) => d.online) && s.doors.every((d: { open: boolean | null }) => d.open !== null)
    }, 10_000, 's0003 to be online with its doors reported')
    const summary = await sim.done
    await sim.stop()
    expect(summary.counters.stateSent).toBeGreaterThan(0)
    expect(summary.counters.publishTimeouts).toBe(0)
  }, 60_000)

  it('run again, updates the stations and rotates the secrets: the old secret is refused, the new one works', async () => {
    const { station: template } = demoFleet()
    const { stations } = synthesizeStations(template, 9, { rules: scaledRules(SPEED) })
    const first = await provisionThroughApi(admin(), stations.slice(0, 1))
    expect(first).toMatchObject({ created: 0, updated: 1, devicesAdded: 0, secretsRotated: stations[0]!.devices.length })
    const sim = startSimulation({ url: `mqtt://127.0.0.1:${t.svc.mqttPort}`, stations: first.stations, secrets: first.secrets, scenario: 'normal-day', seed: 3, speed: SPEED, timeLimitSeconds: 10 })
    await sim.ready
    expect(sim.counters).toMatchObject({ connects: stations[0]!.devices.length, connectRefused: 0 })
    await sim.stop()
    await sim.done
    const door = stations[0]!.devices.find((d) => d.type === 'door')!.id
    expect(first.secrets[door]).not.toBe(issued[door])
    await expect(t.device(door, { secret: issued[door]! })).rejects.toThrow(/Bad username or password|Not authorized/i)
  }, 60_000)

  it('the CLI: --stations 2 --provision --api creates, connects, publishes and keeps the secrets', async () => {
    const secretsFile = join(dir, 'cli-secrets.json')
    const run = spawnNode(
      ['--import', 'tsx', 'simulator/cli.ts', '--scenario', 'normal-day', '--stations', '2', '--provision', '--api', t.base, '--url', `mqtt://127.0.0.1:${t.svc.mqttPort}`, '--speed', String(SPEED), '--max-seconds', '15', '--secrets', secretsFile, '--json'],
      { STATIONWATCH_API_PASSWORD: ADMIN_PASSWORD },
    )
    const { code } = await run.exited
    expect(run.stderr.join('\n')).toContain('provisioned 2 station(s) through the API')
    expect(code, run.stderr.join('\n')).toBe(0)
    const summary = JSON.parse(run.stdout.join('\n'))
    expect(summary.counters).toMatchObject({ connects: 14, connectRefused: 0 })
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8'))
    expect(Object.keys(secrets)).toHaveLength(14)
  }, 90_000)
})
