import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { DEFAULT_LOAD_MAX_SECONDS, parseCliArgs, USAGE, type CliArgs } from './cli-args.ts'
import { httpIncidents } from './http-incidents.ts'
import { DEMO_STATION_FILE } from './make-demo-station.ts'
import type { Scenario } from './scenario.ts'
import { findScenario, SCENARIOS } from './scenarios/index.ts'
import { startSimulation, type SimulationHandle } from './simulation.ts'
import { loadSecrets, loadStationFiles, toJsonText, type Secrets } from './station-files.ts'
import { effectiveRules, type Rules, type Station } from './station.ts'
import { formatDuration, formatSummary } from './summary.ts'
import { provisionThroughApi } from './api-provision.ts'
import { serviceApi } from './service-api.ts'
import { prepareSyntheticStations, synthesizeStations } from './synthetic-stations.ts'

/** Progress lines on runs expected to last longer than this (real seconds). */
const PROGRESS_AFTER_SECONDS = 15
const PROGRESS_EVERY_MS = 10_000

async function main(argv: string[]): Promise<number> {
  let args: CliArgs
  try {
    args = parseCliArgs(argv)
  } catch (err) {
    console.error(`simulate: ${(err as Error).message}`)
    return 2
  }
  if (args.help) return say(USAGE), 0
  if (args.list) return listScenarios(args.speed), 0
  const info = args.json ? (line: string) => console.error(line) : (line: string) => console.log(line)
  const scenario = args.scenario ? findScenario(args.scenario) : undefined

  let stations: Station[]
  let secrets: Secrets
  try {
    ;({ stations, secrets } = args.provision ? await provisionFleet(args, scenario, info) : args.load ? generateFleet(args, scenario, info) : readFleet(args))
  } catch (err) {
    console.error(`simulate: ${(err as Error).message}`)
    return 2
  }
  if (!scenario || args['generate-only']) return 0

  let incidents
  if (scenario.needsIncidents) {
    const password = process.env.STATIONWATCH_API_PASSWORD || process.env.ADMIN_PASSWORD
    if (!args.api || !password) {
      console.error(
        `simulate: scenario ${scenario.name} opens an incident through the HTTP API: give --api http://host:port and set ` +
          'STATIONWATCH_API_PASSWORD (or ADMIN_PASSWORD) for --api-user (a responder or admin)',
      )
      return 2
    }
    incidents = httpIncidents({ baseUrl: args.api, username: args['api-user'], password })
  }
  if (!args.load) noteRuleDifferences(scenario, args.speed, stations, info)

  let handle: SimulationHandle
  try {
    handle = startSimulation({
      url: args.url,
      stations,
      secrets,
      scenario,
      seed: args.seed,
      speed: args.speed,
      repeat: args.repeat,
      connectConcurrency: args['connect-concurrency'],
      ...(args.maxSeconds !== undefined ? { timeLimitSeconds: args.maxSeconds } : {}),
      ...(incidents ? { incidents } : {}),
      log: (m) => info(`· ${m}`),
    })
  } catch (err) {
    console.error(`simulate: ${(err as Error).message}`)
    return 2
  }
  const plannedReal = (handle.progress().plannedMs * args.repeat) / args.speed
  info(
    `${scenario.name} on ${stations.length} station(s), ${stations.reduce((n, s) => n + s.devices.length, 0)} device(s), ×${args.speed}, seed ${args.seed}: ` +
      `${formatDuration(handle.progress().plannedMs)} of scenario time ≈ ${formatDuration(plannedReal)} real` +
      (args.maxSeconds !== undefined ? ` (stops after ${formatDuration(args.maxSeconds * 1000)})` : ''),
  )

  let interrupted = 0
  const onSignal = (): void => {
    if (++interrupted > 1) process.exit(130)
    console.error('stopping (devices disconnect cleanly; press Ctrl-C again to quit at once)…')
    void handle.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const started = performance.now()
  const progress =
    plannedReal > PROGRESS_AFTER_SECONDS * 1000 || args.load
      ? setInterval(() => console.error(progressLine(handle, performance.now() - started)), PROGRESS_EVERY_MS)
      : undefined

  // Give up early when the broker is plainly not there, rather than after every device has tried.
  const devices = stations.reduce((n, s) => n + s.devices.length, 0)
  const hopeless = (): boolean => handle.counters.connects === 0 && handle.counters.connectFailed + handle.counters.connectRefused >= Math.min(20, devices)
  await Promise.race([handle.ready, until(hopeless)])
  if (handle.counters.connects === 0 && !interrupted) {
    clearInterval(progress)
    await handle.stop()
    const why = Object.keys((await handle.done).errors)[0] ?? 'no answer'
    console.error(`simulate: no device could connect to ${args.url} (${why}). Is the service running, and does it load these station files?`)
    return 1
  }
  const summary = await handle.done
  clearInterval(progress)
  await handle.stop()
  if (args.json) console.log(JSON.stringify(summary, null, 2))
  else console.log(formatSummary(summary))
  return summary.counters.connects === 0 ? 1 : 0
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => condition() && (clearInterval(timer), resolve()), 200)
    timer.unref()
  })
}

function readFleet(args: CliArgs): { stations: Station[]; secrets: Secrets } {
  let stations = loadStationFiles(args.stationsDir)
  if (args.station) {
    const only = stations.filter((s) => s.id === args.station)
    if (only.length === 0) throw new Error(`--station: no station "${args.station}" in ${args.stationsDir} (have: ${stations.map((s) => s.id).join(', ')})`)
    stations = only
  }
  return { stations, secrets: loadSecrets(args.secretsFile) }
}

function generateFleet(args: CliArgs, scenario: Scenario | undefined, info: (l: string) => void): { stations: Station[]; secrets: Secrets } {
  const template = loadStationFiles(DEMO_STATION_FILE)[0]!
  const rules: Rules | undefined = scenario?.rules(args.speed)
  const prepared = prepareSyntheticStations({ dir: args.stationsDir, secretsFile: args.secretsFile, count: args.stations!, template, ...(rules ? { rules } : {}) })
  const devices = prepared.stations.reduce((n, s) => n + s.devices.length, 0)
  if (prepared.written > 0 || prepared.removed > 0) {
    info(
      `wrote ${prepared.written} of ${prepared.stations.length} station files (${devices} devices) to ${args.stationsDir}` +
        (prepared.removed ? `, removed ${prepared.removed} old ones` : '') +
        `; secrets in ${args.secretsFile}.\n(Re)start the service with STATIONS=${args.stationsDir} so that it loads them` +
        (args['generate-only'] ? '.' : ' — devices it does not know are refused.'),
    )
  } else info(`${prepared.stations.length} station files (${devices} devices) in ${args.stationsDir} are up to date`)
  if (!args['max-seconds'] && !args['generate-only']) info(`load mode: the run stops after ${DEFAULT_LOAD_MAX_SECONDS} s (--max-seconds)`)
  return { stations: prepared.stations, secrets: prepared.secrets }
}

/** Load mode through the admin API: the stations are created in the running service, no files are written. */
async function provisionFleet(args: CliArgs, scenario: Scenario | undefined, info: (l: string) => void): Promise<{ stations: Station[]; secrets: Secrets }> {
  const password = process.env.STATIONWATCH_API_PASSWORD || process.env.ADMIN_PASSWORD
  if (!password) throw new Error(`--provision: set STATIONWATCH_API_PASSWORD (or ADMIN_PASSWORD) to the password of --api-user ${args['api-user']} (an admin)`)
  const template = loadStationFiles(DEMO_STATION_FILE)[0]!
  const rules: Rules | undefined = scenario?.rules(args.speed)
  const { stations } = synthesizeStations(template, args.stations!, rules ? { rules } : {})
  const api = serviceApi({ baseUrl: args.api!, username: args['api-user'], password })
  const result = await provisionThroughApi(api, stations, { log: info })
  // The service shows each secret once: keep them, so that the run can be repeated or inspected.
  mkdirSync(dirname(args.secretsFile), { recursive: true })
  writeFileSync(args.secretsFile, toJsonText(result.secrets), { mode: 0o600 })
  info(`secrets of ${Object.keys(result.secrets).length} device(s) in ${args.secretsFile}`)
  if (!args['max-seconds'] && !args['generate-only']) info(`load mode: the run stops after ${DEFAULT_LOAD_MAX_SECONDS} s (--max-seconds)`)
  return { stations: result.stations, secrets: result.secrets }
}

/** The timeline adapts to any rules, but a run is only as short as intended with the rules it was designed for. */
function noteRuleDifferences(scenario: Scenario, speed: number, stations: Station[], info: (l: string) => void): void {
  const wanted = scenario.rules(speed)
  for (const s of stations.slice(0, 5)) {
    const have = effectiveRules(s)
    const diff = (Object.keys(wanted) as (keyof Rules)[]).filter((k) => wanted[k] !== have[k])
    if (diff.length) {
      info(
        `note: at ×${speed} ${scenario.name} is designed for station rules ${JSON.stringify(wanted)}; ` +
          `${s.id} has ${diff.map((k) => `${k} ${have[k]}`).join(', ')}. The timeline adapts to them, so the expected alerts still hold; ` +
          'waits past a threshold just take longer (load mode writes the designed rules into the stations it generates).',
      )
    }
  }
}

function progressLine(h: SimulationHandle, elapsedMs: number): string {
  const p = h.progress()
  const c = h.counters
  const pct = p.plannedMs > 0 ? ` (${Math.min(100, Math.round((100 * p.scenarioMs) / p.plannedMs))}%)` : ''
  return (
    `[${formatDuration(elapsedMs)}] scenario ${formatDuration(p.scenarioMs)}/${formatDuration(p.plannedMs)}${pct}` +
    ` · stations connected ${p.stationsConnected}/${p.stations}, done ${p.stationsDone}` +
    ` · devices up ${c.connected} · sent ${c.sent} · refused ${c.connectRefused} · lag ${Math.round(c.maxLagMs)} ms` +
    ` · rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`
  )
}

function listScenarios(speed: number): void {
  for (const s of SCENARIOS) {
    say(`${s.name}${s.needsIncidents ? '  (needs --api)' : ''}\n  ${s.summary}`)
    say(s.description.replace(/^/gm, '    '))
    say(`    station rules at ×${speed}: ${JSON.stringify(s.rules(speed))}\n`)
  }
}

function say(line: string): void {
  console.log(line)
}

// `simulate --list | head` closes stdout early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})
process.exitCode = await main(process.argv.slice(2))
