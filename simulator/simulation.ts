import { z } from 'zod'
import { ErrorTally, newCounters, type Counters } from './counters.ts'
import type { DeviceNetwork, SimDevice } from './device.ts'
import { Lane, Stopper } from './lane.ts'
import { Limiter } from './limiter.ts'
import { deriveSeed, Rng } from './prng.ts'
import { Plan, type ExpectedAlert, type ExpectedReject, type PlannedAction, type Scenario } from './scenario.ts'
import { findScenario } from './scenarios/index.ts'
import { StationRuntime, type IncidentControl } from './station-runtime.ts'
import { effectiveRules, parseStation, type Station } from './station.ts'
import type { Summary } from './summary.ts'

export interface SimulationOptions {
  /** mqtt://host:port (or ws://host:port/mqtt) */
  url: string
  /** station objects in the shape of contract §2 */
  stations: unknown[]
  /** device id → secret */
  secrets: Readonly<Record<string, string>>
  scenario: string | Scenario
  seed: number
  /** scenario time runs this many times faster than real time */
  speed: number
  log?: (message: string) => void
  /** needed by scenarios that open incidents (emergency-incident) */
  incidents?: IncidentControl
  /** the scenario runs this many times back to back (Infinity: until stop()) */
  repeat?: number
  /** ends the run (done resolves, stoppedEarly: 'time-limit') after this many real seconds */
  timeLimitSeconds?: number
  /** CONNECTs in flight at once, across all stations */
  connectConcurrency?: number
  publishTimeoutMs?: number
  connectTimeoutMs?: number
}

export interface Progress {
  /** scenario time reached by the furthest station, ms */
  scenarioMs: number
  /** scenario time the first run of the timeline lasts, ms */
  plannedMs: number
  stations: number
  /** stations whose devices have all tried to connect */
  stationsConnected: number
  /** stations whose timeline has ended */
  stationsDone: number
}

export interface SimulationHandle {
  /** resolves when every station's timeline has ended, or the run was stopped */
  done: Promise<Summary>
  /** resolves when every device has tried its first CONNECT */
  ready: Promise<void>
  /** disconnects every device cleanly (no wills) and stops the timelines */
  stop(): Promise<void>
  readonly counters: Readonly<Counters>
  readonly expectedAlerts: readonly ExpectedAlert[]
  readonly expectedRejects: readonly ExpectedReject[]
  progress(): Progress
}

/** Heartbeats go out a little more often than the rule asks, so timer lag never makes one late. */
const HEARTBEAT_FRACTION = 0.9

const optionsSchema = z.object({
  url: z.string().regex(/^(mqtts?|wss?):\/\/./, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  seed: z.number().int().min(0).max(0xffffffff),
  speed: z.number().positive().max(1_000_000),
  repeat: z.union([z.number().int().min(1), z.literal(Infinity)]).default(1),
  timeLimitSeconds: z.number().positive().optional(),
  connectConcurrency: z.number().int().min(1).max(10_000).default(50),
  publishTimeoutMs: z.number().int().positive().default(10_000),
  connectTimeoutMs: z.number().int().positive().default(15_000),
})

type LaneItem = { kind: 'action'; action: PlannedAction } | { kind: 'heartbeat'; device: SimDevice }

/**
 * Runs a scenario against a broker: one MQTT connection per device, every
 * station on its own seeded timeline. `done` resolves when every timeline has
 * ended; the devices stay connected, heartbeating, until `stop()`, so a caller
 * can look at the service's state first.
 */
export function startSimulation(options: SimulationOptions): SimulationHandle {
  const opts = parseOptions(options)
  const scenario = typeof options.scenario === 'string' ? findScenario(options.scenario) : options.scenario
  const stations = options.stations.map((s, i) => parseStation(s, `stations[${i}]`))
  checkFleet(stations, options.secrets)
  if (scenario.needsIncidents && !options.incidents) {
    throw new Error(`scenario ${scenario.name} opens incidents through the HTTP API: pass incidents (CLI: --api URL)`)
  }
  const log = options.log ?? (() => undefined)
  const counters = newCounters()
  const errors = new ErrorTally()
  const net: DeviceNetwork = {
    url: opts.url,
    counters,
    errors,
    connectLimiter: new Limiter(opts.connectConcurrency),
    connectTimeoutMs: opts.connectTimeoutMs,
    publishTimeoutMs: opts.publishTimeoutMs,
  }
  const stopper = new Stopper()
  const stopped = new Promise<void>((resolve) => stopper.onStop(resolve))
  const startedAt = new Date()
  const t0 = performance.now()

  const planOf = (station: Station, iteration: number): Plan => {
    const p = new Plan(station, opts.speed, new Rng(deriveSeed(opts.seed, scenario.name, station.id, String(iteration))))
    scenario.plan(p)
    if (Number.isNaN(p.end)) throw new Error(`scenario ${scenario.name} did not finish() its plan for ${station.id}`)
    return p
  }
  // Planned up front, so a scenario bug surfaces before any device connects, and expectations are known at once.
  const firstPlans = stations.map((s) => planOf(s, 0))
  const expected = new Map<string, ExpectedAlert>()
  const rejects: ExpectedReject[] = []
  const record = (plan: Plan): void => {
    for (const a of plan.expectedAlerts) expected.set(`${a.station}|${a.rule}|${a.subject}`, a)
    rejects.push(...plan.expectedRejects)
  }
  firstPlans.forEach(record)

  const lanes: Lane<LaneItem>[] = []
  const runtimes = stations.map((s) => new StationRuntime(s, options.secrets, net, deriveSeed(opts.seed, 'devices', s.id), options.incidents))
  let stationsConnected = 0
  let stationsDone = 0
  let repetitions = 0
  let stoppedEarly: Summary['stoppedEarly']
  let endedAt: number | undefined

  let markReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  stopper.onStop(() => markReady())

  // Stations come online a few at a time, each device after the other, so timelines start as their
  // stations are ready instead of all waiting for the last of 10,000 CONNECTs.
  const stationLimiter = new Limiter(opts.connectConcurrency)
  const runStation = async (rt: StationRuntime, index: number): Promise<void> => {
    await stationLimiter.run(() => rt.connectAll())
    if (++stationsConnected === stations.length) {
      markReady()
      log(`connected ${counters.connected} device(s); refused ${counters.connectRefused}, failed ${counters.connectFailed}`)
    }
    if (stopper.stopped) return
    let endOfPlan: (() => void) | undefined
    const heartbeatMs = effectiveRules(rt.station).heartbeatSeconds * HEARTBEAT_FRACTION * 1000 * opts.speed
    const lane = new Lane<LaneItem>(opts.speed, stopper, async (item, t) => {
      if (item.kind === 'heartbeat') {
        await rt.heartbeat(item.device)
        lane.schedule(t + heartbeatMs, item)
        return
      }
      try {
        await rt.execute(item.action)
      } catch (err) {
        errors.add(`${rt.station.id}: ${item.action.do}: ${(err as Error).message}`)
      }
      if (item.action.do === 'end') endOfPlan?.()
    }, counters)
    lanes.push(lane)
    // Each device's heartbeat starts at its own phase, so a big fleet does not beat in unison.
    const phases = new Rng(deriveSeed(opts.seed, 'heartbeat-phase', rt.station.id))
    for (const device of rt.devices) lane.schedule(heartbeatMs * phases.between(0.3, 1), { kind: 'heartbeat', device })
    void lane.run()

    let offset = 0
    for (let i = 0; i < opts.repeat && !stopper.stopped; i++) {
      const plan = i === 0 ? firstPlans[index]! : planOf(rt.station, i)
      if (i > 0) {
        record(plan)
        await rt.resetForRepeat()
      }
      const ended = new Promise<void>((resolve) => (endOfPlan = resolve))
      for (const a of plan.actions) lane.schedule(offset + a.t, { kind: 'action', action: a.action })
      await Promise.race([ended, stopped])
      offset += plan.end
      if (index === 0 && !stopper.stopped) repetitions = i + 1
    }
    if (stopper.stopped) return
    stationsDone++
    if (stations.length <= 10) log(`${rt.station.id}: timeline ended`)
  }

  log(`connecting ${runtimes.reduce((n, rt) => n + rt.devices.length, 0)} devices of ${stations.length} station(s) to ${opts.url}`)
  const runs = runtimes.map((rt, i) => runStation(rt, i))
  const limitTimer =
    opts.timeLimitSeconds !== undefined
      ? setTimeout(() => {
          stoppedEarly ??= 'time-limit'
          stopper.stop()
        }, opts.timeLimitSeconds * 1000)
      : undefined
  limitTimer?.unref()

  const plannedMs = firstPlans.reduce((m, p) => Math.max(m, p.end), 0)
  const done = (async (): Promise<Summary> => {
    await Promise.race([Promise.all(runs), stopped])
    endedAt = performance.now()
    clearTimeout(limitTimer)
    return {
      scenario: scenario.name,
      seed: opts.seed,
      speed: opts.speed,
      stations: stations.length,
      devices: runtimes.reduce((n, rt) => n + rt.devices.length, 0),
      repetitions: Math.max(repetitions, 1),
      startedAt: startedAt.toISOString(),
      durationMs: endedAt - t0,
      scenarioMs: Number.isFinite(opts.repeat) ? plannedMs * Math.max(repetitions, 1) : plannedMs,
      ...(stoppedEarly ? { stoppedEarly } : {}),
      counters: { ...counters },
      errors: errors.toJSON(),
      expectedAlerts: [...expected.values()],
      expectedRejects: [...rejects],
    }
  })()

  return {
    done,
    ready,
    counters,
    get expectedAlerts() {
      return [...expected.values()]
    },
    expectedRejects: rejects,
    progress: () => ({
      scenarioMs: lanes.reduce((m, l) => Math.max(m, l.now()), 0),
      plannedMs,
      stations: stations.length,
      stationsConnected,
      stationsDone,
    }),
    async stop() {
      if (endedAt === undefined) stoppedEarly ??= 'stopped'
      stopper.stop()
      await Promise.all(runtimes.flatMap((rt) => rt.devices.map((d) => d.stop())))
      await done
    },
  }
}

function parseOptions(o: SimulationOptions): z.infer<typeof optionsSchema> {
  const r = optionsSchema.safeParse(o)
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new Error(`startSimulation: ${issue.path.join('.')}: ${issue.message}`)
  }
  return r.data
}

/** Device ids unique across stations, and a secret for every device. */
function checkFleet(stations: Station[], secrets: Readonly<Record<string, string>>): void {
  const owner = new Map<string, string>()
  const missing: string[] = []
  for (const s of stations) {
    if (owner.has(`station:${s.id}`)) throw new Error(`startSimulation: station id "${s.id}" appears twice`)
    owner.set(`station:${s.id}`, s.id)
    for (const d of s.devices) {
      const other = owner.get(d.id)
      if (other) throw new Error(`startSimulation: device id "${d.id}" is used by stations "${other}" and "${s.id}"`)
      owner.set(d.id, s.id)
      if (typeof secrets[d.id] !== 'string' || secrets[d.id] === '') missing.push(d.id)
    }
  }
  if (missing.length) {
    throw new Error(`startSimulation: no secret for ${missing.length} device(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`)
  }
}
