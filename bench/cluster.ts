/**
 * (8) Cluster mode (issue 19, contract v2 §F) against the single process, same machine, same run:
 * three instances on a 3-node NATS JetStream cluster and one PostgreSQL (bench/lib/cluster-rig.ts)
 * beside one single process with the embedded store, on the same stations.
 *
 * - Ingest: a closed loop of QoS 1 state messages, a fixed number in flight, the devices spread
 *   over the three instances' MQTT ports (all on the one port for the single process). A PUBACK
 *   means "stored on a majority of the stream's replicas" in the cluster and "applied and
 *   committed" in the single process, so the cluster also reports what its owners applied
 *   meanwhile (stream appends less the growth of the consumers' backlog).
 * - Latency at a fixed offered rate (open loop, 200 and 1,000 msg/s): PUBACK p50/p99 of that
 *   background, and meanwhile a probe device that opens and closes a door of its own station
 *   (door-forced alert, resolved over HTTP before the next). In the cluster the probe device is
 *   connected to an instance that does not own its station and the /ws clients to the third
 *   instance, so every alert crosses NATS twice (front door → owner → fan-out).
 */
import { rmSync } from 'node:fs'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { startClusterRig, settleOwnership, type ClusterRig } from './lib/cluster-rig.ts'
import { makeFleet, type Fleet } from './lib/fleet.ts'
import { cpuShare, loadAverage, machineTicks, sampleProc, type ProcSample } from './lib/proc.ts'
import { range, round, sleep, type LatencySummary } from './lib/stats.ts'
import { tempDir } from '../test/helpers/station-fixture.ts'
import { ADMIN_PASSWORD, startLoad, startObserver, startServiceChild, type ServiceChild } from './lib/targets.ts'
import { cpus } from 'node:os'

type Target = 'single' | 'cluster'

/**
 * How long the cluster's owners may take to apply what was acknowledged before the next
 * measurement. What is left then is recorded (and delays the next measurement's alerts).
 */
const DRAIN_LIMIT_MS = 120_000
/** the probe's wait for an alert or a station change on each /ws client */
const PROBE_TIMEOUT_MS = 5000

/** Where a measurement connects: devices (one or three MQTT ports), /ws clients, the probe device. */
interface Placement { target: Target; mqttPorts: number[]; wsHttpPorts: number[]; probeMqttPort: number; services: ServiceChild[] }

interface IngestRun {
  target: Target
  devices: number
  inFlight: number
  /** PUBACKs a second during the measured interval */
  acked: number
  /** readings the owners applied (and acknowledged to JetStream) a second over the same interval; = acked for the single process */
  applied: number
  /** cluster: readings still to apply when the load stopped, and how long the owners took to catch up */
  backlogAtEnd?: number
  drainSeconds?: number
  /** readings the owners applied a second while catching up, with nothing new arriving */
  drainRate?: number
  /** readings still not applied DRAIN_LIMIT_MS after the load stopped */
  leftAfterDrain?: number
  /** cores used by the service process(es) together, and per message (µs) */
  serviceCpu: number
  serviceCpuPerMessageUs: number
  /** the whole machine's busy cores during the measurement (2 = both), others' work included */
  machineBusy: number
  loadAverage: number
}

interface LatencyRun {
  target: Target
  offered: number
  achieved: number
  puback: LatencySummary
  alert: LatencySummary
  station: LatencySummary
  cycles: number
  /** /ws clients that did not see an awaited alert or station change within the probe's timeout */
  timeouts: number
  /** resolve calls answered 404 (the alert not yet known to the viewer's instance) and tried again */
  resolveRetries: number
  /** readings still not applied DRAIN_LIMIT_MS after the load stopped */
  leftAfterDrain?: number
  loadAverage: number
}

export async function cluster(ctx: BenchContext): Promise<BenchResult> {
  const devices = ctx.quick ? 300 : 1000
  // Bounded in flight (600 quick, 1,000 full): what the cluster acknowledges beyond what its owners apply waits in the stream.
  const perDevice = ctx.quick ? 2 : 1
  const repeats = ctx.quick ? 1 : 2
  const warmupMs = ctx.quick ? 1000 : 2000
  // Short: what the cluster acknowledges beyond what its owners apply (a few hundred a second) must be applied before the next measurement.
  const ingestMs = ctx.quick ? 2000 : 4000
  const probeMs = ctx.quick ? 4000 : 10_000
  const rates = [200, 1000]
  const wsClients = ctx.quick ? 3 : 6
  // Long heartbeats: no device-offline alert fires while devices sit idle between measurements.
  const fleet = makeFleet(devices, { probe: true, rules: { heartbeatSeconds: 86_400 } })
  // The single process's data dir is made here, so that a Ctrl-C during its start removes it too.
  const singleDataDir = tempDir('sw-bench-single-')
  let single: ServiceChild | undefined
  let rig: ClusterRig | undefined
  let destroyRig: (() => Promise<void>) | undefined
  const teardown = async () => {
    await single?.stop().catch(() => undefined)
    await destroyRig?.()
    rmSync(singleDataDir, { recursive: true, force: true })
    rmSync(fleet.stationsDir, { recursive: true, force: true })
  }
  ctx.onExit(teardown)
  const ingest: IngestRun[] = []
  const latency: LatencyRun[] = []
  let setupSeconds = 0
  let probeRoute = ''
  let ownersMoved = 0
  try {
    const t0 = performance.now()
    single = await startServiceChild({ stationsDir: fleet.stationsDir, dataDir: singleDataDir })
    rig = await startClusterRig({ stationsDir: fleet.stationsDir, log: (m) => ctx.log(m), onDestroy: (d) => (destroyRig = d) })
    const owners = await settleOwnership(rig, fleet.stations.length, { stableMs: 4000, timeoutMs: 90_000 })
    setupSeconds = round((performance.now() - t0) / 1000, 1)
    const perInstance = rig.instances.map((i) => `${i.id} ${[...owners.values()].filter((o) => o === i.id).length}`).join(', ')
    const owner = rig.instances.find((i) => i.id === owners.get('probe'))!
    const [front, viewer] = rig.instances.filter((i) => i !== owner) as [typeof owner, typeof owner]
    probeRoute = `probe station owned by ${owner.id}, its door connected to ${front.id}, /ws clients on ${viewer.id}`
    ctx.log(`  single process and cluster up, ownership settled after ${setupSeconds} s (stations owned: ${perInstance}); ${probeRoute}`)
    const placements: Record<Target, Placement> = {
      single: { target: 'single', mqttPorts: [single.mqttPort], wsHttpPorts: [single.httpPort], probeMqttPort: single.mqttPort, services: [single] },
      cluster: {
        target: 'cluster',
        mqttPorts: rig.instances.map((i) => i.svc.mqttPort),
        wsHttpPorts: [viewer.svc.httpPort],
        probeMqttPort: front.svc.mqttPort,
        services: rig.instances.map((i) => i.svc),
      },
    }
    const order: Target[] = ['single', 'cluster']
    for (let r = 0; r < repeats; r++) {
      // Interleaved, so that whatever else loads the machine falls on both alike.
      for (const t of order) {
        const run = await measureIngest(placements[t], rig, fleet, { perDevice, warmupMs, durationMs: ingestMs, wsClients })
        ctx.log(`  ingest, ${t}, ${run.devices} devices, ${run.inFlight} in flight: ${run.acked} PUBACKs/s, ${run.applied} applied/s${run.backlogAtEnd !== undefined ? `, backlog ${run.backlogAtEnd} at the end, caught up in ${run.drainSeconds} s (${run.drainRate}/s)${run.leftAfterDrain ? `, ${run.leftAfterDrain} STILL NOT APPLIED` : ''}` : ''}; services ${run.serviceCpu} cores (${run.serviceCpuPerMessageUs} µs/msg), machine ${run.machineBusy}/${cpus().length} busy, load ${run.loadAverage}`)
        ingest.push(run)
      }
      for (const rate of rates) {
        for (const t of order) {
          const run = await measureLatency(placements[t], rig, fleet, { rate, warmupMs, durationMs: probeMs, wsClients })
          ctx.log(`  ${rate} msg/s, ${t}: PUBACK p50 ${run.puback.p50} p99 ${run.puback.p99} ms; alert on /ws p50 ${run.alert.p50} p99 ${run.alert.p99} max ${run.alert.max} ms (${run.alert.n} samples, ${run.timeouts} waits over ${PROBE_TIMEOUT_MS / 1000} s, ${run.resolveRetries} resolves retried); station p50 ${run.station.p50} p99 ${run.station.p99} ms`)
          latency.push(run)
        }
      }
    }
    // The placements assume the owners stayed put; say so when they did not (a lease lost under load).
    const after = await rig.owners()
    ownersMoved = [...owners].filter(([station, id]) => after.get(station) !== id).length
    if (ownersMoved) ctx.log(`  ${ownersMoved} station(s) changed owner during the run (probe station now on ${after.get('probe') ?? 'none'})`)
  } finally {
    await teardown()
  }
  return {
    name: 'cluster',
    title: 'Cluster mode: 3 instances on NATS JetStream and PostgreSQL against the single process',
    method:
      `One run starts a single process (embedded store) and a cluster (3-node NATS 2.9 with JetStream, the readings stream replicated 3 times; PostgreSQL 15 with fsync off; 3 instances), every part a process of its own on loopback, all sharing the machine's ${cpus().length} cores; the idle target stays up while the other is measured. ` +
      `${fleet.stations.length - 1} stations and ${devices} devices (heartbeat 24 h) plus the probe's station; setup until the partition owners settled took ${setupSeconds} s. ` +
      `Ingest: closed loop, ${perDevice} QoS 1 state messages in flight per device (${devices * perDevice} in all), devices spread round-robin over the 3 instances (the single process: one port), ${wsClients} /ws clients (the cluster's spread over its instances); ${ingestMs / 1000} s measured after ${warmupMs / 1000} s of warm-up. ` +
      `"Applied" in the cluster = stream appends less the growth of the partition consumers' backlog (pending + unacknowledged, asked of the consumers' leaders) over the measured interval; after the load stops the owners' catching up is timed. ` +
      `Latency: ${rates.join(' and ')} msg/s offered (open loop) over the same devices for ${probeMs / 1000} s after ${warmupMs / 1000} s of warm-up; meanwhile, with ${wsClients} /ws clients, a probe door opens (door-forced alert) and closes every 50 ms or so; each /ws client's arrival is one sample. In the cluster: ${probeRoute}${ownersMoved ? ` (${ownersMoved} station(s) changed owner during the run)` : ''}. ` +
      `Ratios are cluster / single within the run, ${repeats} repeat(s), median.`,
    figures: figures(ingest, latency, rates, devices * perDevice),
    details: { setupSeconds, probeRoute, ownersMoved, ingest, latency },
  }
}

async function connectDevices(load: ReturnType<typeof startLoad>, p: Placement, fleet: Fleet): Promise<void> {
  const conn = await load.request('connect', { host: '127.0.0.1', port: p.mqttPorts[0], ports: p.mqttPorts, devices: fleet.devices, keepalive: 60, will: false, status: false, concurrency: 50, timeoutMs: 15_000 })
  if (conn.failed) throw new Error(`${p.target}: ${conn.failed} of ${fleet.devices.length} devices could not connect: ${conn.errors.join('; ')}`)
}

async function openWs(observer: ReturnType<typeof startObserver>, p: Placement, clients: number): Promise<void> {
  // Spread over the ports given (one for the single process and for the cluster's probe viewer).
  for (const [k, httpPort] of p.wsHttpPorts.entries()) {
    const n = Math.floor(clients / p.wsHttpPorts.length) + (k < clients % p.wsHttpPorts.length ? 1 : 0)
    await observer.request('wsOpen', { httpPort, clients: n, password: ADMIN_PASSWORD })
  }
}

async function measureIngest(p: Placement, rig: ClusterRig, fleet: Fleet, o: { perDevice: number; warmupMs: number; durationMs: number; wsClients: number }): Promise<IngestRun> {
  const observer = startObserver()
  const load = startLoad()
  try {
    // /ws clients on every instance here: each one pushes every station's changes.
    await openWs(observer, { ...p, wsHttpPorts: p.target === 'cluster' ? rig.instances.map((i) => i.svc.httpPort) : p.wsHttpPorts }, o.wsClients)
    await connectDevices(load, p, fleet)
    const running = load.request('closed', { window: o.perDevice, warmupMs: o.warmupMs, durationMs: o.durationMs, drainMs: 60_000 }, o.warmupMs + o.durationMs + 120_000)
    await sleep(o.warmupMs)
    const s0 = p.services.map((s) => sampleProc(s.child.pid))
    const m0 = machineTicks()
    const b0 = p.target === 'cluster' ? await rig.backlog() : undefined
    const at0 = performance.now()
    await sleep(o.durationMs)
    const b1 = p.target === 'cluster' ? await rig.backlog() : undefined
    const seconds = (performance.now() - at0) / 1000
    const s1 = p.services.map((s) => sampleProc(s.child.pid))
    const m1 = machineTicks()
    const res = await running
    const serviceCpu = s0.reduce((n, a, k) => n + cpuShare(a, s1[k] as ProcSample), 0)
    const run: IngestRun = {
      target: p.target,
      devices: fleet.devices.length,
      inFlight: fleet.devices.length * o.perDevice,
      acked: Math.round(res.perSecond),
      applied: Math.round(res.perSecond),
      serviceCpu: round(serviceCpu, 2),
      serviceCpuPerMessageUs: round((serviceCpu * 1e6) / res.perSecond, 1),
      machineBusy: round(((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length, 2),
      loadAverage: loadAverage(),
    }
    if (b0 && b1) {
      const appended = b1.lastSeq - b0.lastSeq
      const grew = b1.pending + b1.ackPending - (b0.pending + b0.ackPending)
      // The stream's and the consumers' counts are not one snapshot (a few hundred either way): never below 0.
      run.applied = Math.max(0, Math.round((appended - grew) / seconds))
      // The owners catch up on what was acknowledged but not yet applied, before the next measurement.
      const b2 = await rig.backlog()
      const d0 = performance.now()
      const left = await rig.drain(DRAIN_LIMIT_MS)
      run.backlogAtEnd = b2.pending + b2.ackPending
      run.drainSeconds = round((performance.now() - d0) / 1000, 1)
      run.drainRate = Math.round(run.backlogAtEnd / run.drainSeconds)
      if (left) run.leftAfterDrain = left
    }
    return run
  } finally {
    await load.stop().catch(() => undefined)
    await observer.stop().catch(() => undefined)
  }
}

async function measureLatency(p: Placement, rig: ClusterRig, fleet: Fleet, o: { rate: number; warmupMs: number; durationMs: number; wsClients: number }): Promise<LatencyRun> {
  const observer = startObserver()
  const load = startLoad()
  try {
    await resolveProbeAlerts(p)
    await openWs(observer, p, o.wsClients)
    await connectDevices(load, p, fleet)
    await load.request('open', { rate: o.rate, durationMs: o.warmupMs, maxInflightPerDevice: 100, drainMs: 10_000 })
    const background = load.request('open', { rate: o.rate, durationMs: o.durationMs + 1000, maxInflightPerDevice: 100, drainMs: 20_000 }, o.durationMs + 60_000)
    await sleep(500)
    const probe = await observer.request('probe', { port: p.probeMqttPort, door: fleet.probe!.door, durationMs: o.durationMs, intervalMs: 50, timeoutMs: PROBE_TIMEOUT_MS }, o.durationMs + 60_000)
    const bg = await background
    const left = p.target === 'cluster' ? await rig.drain(DRAIN_LIMIT_MS) : 0
    return { ...(left ? { leftAfterDrain: left } : {}), target: p.target, offered: o.rate, achieved: Math.round(bg.achievedPerSecond), puback: bg.pubackMs, alert: probe.alert, station: probe.station, cycles: probe.cycles, timeouts: probe.timeouts, resolveRetries: probe.resolveRetries, loadAverage: loadAverage() }
  } finally {
    await load.stop().catch(() => undefined)
    await observer.stop().catch(() => undefined)
  }
}

/**
 * A door-forced alert that reached /ws only after the probe stopped waiting (an owner far behind)
 * is still active, and while it is the door raises no new one: resolve what is left first.
 */
async function resolveProbeAlerts(p: Placement): Promise<void> {
  const svc = p.services[0]!
  const open = ((await svc.api('/api/alerts?station=probe')) as { id: string; state: string }[]).filter((a) => a.state !== 'resolved')
  for (const a of open) await svc.api(`/api/alerts/${a.id}/resolve`, { method: 'POST', body: {} })
  // In the cluster the owner follows a resolve made elsewhere over NATS: give it a moment.
  if (open.length && p.target === 'cluster') await sleep(500)
}

function figures(ingest: IngestRun[], latency: LatencyRun[], rates: number[], inFlight: number): Figure[] {
  const fig = (metric: string, values: number[], unit: string, digits = 0, extra: Partial<Figure> = {}): Figure => {
    const rg = range(values)
    if (values.some((v) => Number.isNaN(v))) return { metric, value: NaN, unit, note: 'no sample in some repeat' }
    return { metric, value: round(rg.median, digits), unit, ...(values.length > 1 ? { range: [round(rg.min, digits), round(rg.max, digits)] as [number, number] } : {}), ...extra }
  }
  /** cluster / single within each repeat (runs come in pairs: single, then cluster) */
  const ratios = <R extends { target: Target }>(runs: R[], value: (r: R) => number | null) => {
    const s = runs.filter((r) => r.target === 'single')
    const c = runs.filter((r) => r.target === 'cluster')
    return c.map((r, k) => (value(r) ?? NaN) / (value(s[k]!) ?? NaN))
  }
  // A summary without samples crosses IPC as null (JSON has no NaN): keep it "no figure", not 0.
  const of = <R extends { target: Target }>(runs: R[], t: Target, value: (r: R) => number | null) => runs.filter((r) => r.target === t).map((r) => value(r) ?? NaN)
  const out: Figure[] = [
    fig(`ingest, single process, ${inFlight} in flight`, of(ingest, 'single', (r) => r.acked), 'msg/s'),
    fig(`ingest, cluster PUBACKs (JetStream R3), ${inFlight} in flight`, of(ingest, 'cluster', (r) => r.acked), 'msg/s'),
    fig(`ingest, cluster applied by the owners`, of(ingest, 'cluster', (r) => r.applied), 'msg/s'),
    fig(`ingest PUBACKs, cluster / single`, ratios(ingest, (r) => r.acked), 'ratio', 2),
    fig(`ingest applied, cluster / single`, ratios(ingest, (r) => r.applied), 'ratio', 2),
    fig(`ingest, cluster owners catching up after the load`, of(ingest, 'cluster', (r) => r.drainSeconds ?? NaN), 's', 1),
    fig(`ingest, cluster owners' apply rate while catching up (nothing arriving)`, of(ingest, 'cluster', (r) => r.drainRate ?? NaN), 'msg/s'),
    fig(`service CPU a message, single`, of(ingest, 'single', (r) => r.serviceCpuPerMessageUs), 'µs', 1),
    fig(`service CPU a message, cluster (3 instances)`, of(ingest, 'cluster', (r) => r.serviceCpuPerMessageUs), 'µs', 1),
  ]
  for (const rate of rates) {
    const rs = latency.filter((r) => r.offered === rate)
    const k = rate >= 1000 ? `${rate / 1000}k` : String(rate)
    for (const [name, pick] of [['PUBACK', (r: LatencyRun) => r.puback], ['publish → /ws alert', (r: LatencyRun) => r.alert]] as const) {
      for (const p of ['p50', 'p99'] as const) {
        out.push(
          fig(`${name} ${p} @ ${k} msg/s, single`, of(rs, 'single', (r) => pick(r)[p]), 'ms', 1),
          fig(`${name} ${p} @ ${k} msg/s, cluster`, of(rs, 'cluster', (r) => pick(r)[p]), 'ms', 1),
          fig(`${name} ${p} @ ${k} msg/s, cluster / single`, ratios(rs, (r) => pick(r)[p]), 'ratio', 1),
        )
      }
    }
    out.push(
      fig(`alert or station change not on /ws within ${PROBE_TIMEOUT_MS / 1000} s @ ${k} msg/s, single`, of(rs, 'single', (r) => r.timeouts), 'waits'),
      fig(`alert or station change not on /ws within ${PROBE_TIMEOUT_MS / 1000} s @ ${k} msg/s, cluster`, of(rs, 'cluster', (r) => r.timeouts), 'waits'),
      fig(`alert samples @ ${k} msg/s, cluster`, of(rs, 'cluster', (r) => r.alert.n), 'samples'),
      fig(`resolve through the viewer's instance retried (404) @ ${k} msg/s, cluster`, of(rs, 'cluster', (r) => r.resolveRetries), 'retries'),
    )
  }
  return out
}
