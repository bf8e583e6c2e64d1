/**
 * `npm run bench` — the benchmark suite (issue 7). Benchmarks report; they do not fail on a
 * missed target (only on an error).
 *
 *   npm run bench                      # full mode (~15 min)
 *   npm run bench -- --quick           # under 2 minutes: fewer sizes and repeats, shorter windows
 *   npm run bench -- --only=ingest,latency
 *   npm run bench -- --quick --only=acks,disk   # acknowledgements (issue 14)
 *   npm run bench -- --quick --profile # also CPU profiles of the service under ingest load
 *   npm run bench -- --quick --only=cluster   # cluster mode against the single process (issue 19)
 *
 * Every part runs in a process of its own (the service, bare aedes, the load generator, the /ws
 * clients, influxd) on loopback with ports picked by the OS; the machine has 2 cores, so they share
 * them, and whatever else runs there meanwhile shares them too: figures are repeated (full mode) and
 * compared within a run. Prints a table and writes bench/results/bench-<mode>-<time>.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { startInfluxd, type Influxd } from '../test/helpers/influxd.ts'
import { acks } from './acks.ts'
import { cluster } from './cluster.ts'
import { connectionScale } from './connection-scale.ts'
import { diskCommit } from './disk-commit.ts'
import { ingestThroughput } from './ingest-throughput.ts'
import { latency } from './latency.ts'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { loadAverage } from './lib/proc.ts'
import { spoolDrain } from './spool-drain.ts'
import { startup } from './startup.ts'
import { timerLoad } from './timer-load.ts'

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  ingest: ingestThroughput,
  acks,
  disk: diskCommit,
  latency,
  connections: connectionScale,
  timers: timerLoad,
  startup,
  spool: spoolDrain,
  cluster,
}

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',')
for (const name of only ?? []) if (!BENCHMARKS[name]) throw new Error(`--only: no benchmark "${name}" (there are ${Object.keys(BENCHMARKS).join(', ')})`)
const at = new Date().toISOString()
const stamp = at.replace(/[:.]/g, '-')
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url))
const profileDir = args.includes('--profile') ? `${resultsDir}profiles-${stamp}` : undefined

let influxd: Influxd | undefined
const exits: (() => void | Promise<void>)[] = []
const ctx: BenchContext = {
  quick,
  ...(profileDir ? { profileDir } : {}),
  influxd: async () => (influxd ??= await startInfluxd()),
  log: (m) => console.log(m),
  stash: new Map(),
  onExit: (f) => exits.push(f),
}

// Ctrl-C or a kill: the same clean-up as at the end (children, servers, temp dirs), then out.
let cleaning: Promise<void> | undefined
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const f of exits) await Promise.resolve(f()).catch(() => undefined)
    await influxd?.destroy().catch(() => undefined)
  })())
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every process the benchmarks started and removing their temp dirs`)
    void cleanUp().finally(() => process.exit(130))
  })
}

const started = performance.now()
const loadBefore = loadAverage()
const results: BenchResult[] = []
const failures: { name: string; error: string }[] = []
console.log(`stationwatch benchmarks, ${quick ? 'quick' : 'full'} mode: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, load average ${loadBefore}`)
try {
  for (const [name, bench] of Object.entries(BENCHMARKS)) {
    if (only && !only.includes(name)) continue
    console.log(`\n${name}`)
    const t0 = performance.now()
    try {
      const r = await bench(ctx)
      r.seconds = Math.round((performance.now() - t0) / 100) / 10
      results.push(r)
    } catch (err) {
      console.error(`  ${name} failed: ${err instanceof Error ? err.stack : String(err)}`)
      failures.push({ name, error: err instanceof Error ? err.message : String(err) })
    }
  }
} finally {
  await cleanUp()
}

const seconds = Math.round((performance.now() - started) / 1000)
const machine = { cpus: cpus().length, model: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: { before: loadBefore, after: loadAverage() } }
const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en') : String(n))
const row = (r: BenchResult, f: Figure) => ({
  bench: r.name,
  metric: f.metric,
  value: `${fmt(f.value)} ${f.unit}`,
  range: f.range ? `${fmt(f.range[0])}–${fmt(f.range[1])}` : '',
  target: f.target ?? '',
  met: f.met === undefined ? '' : f.met ? 'yes' : 'NO',
})
const rows = results.flatMap((r) => r.figures.map((f) => row(r, f)))
console.log('')
console.table(rows)
for (const f of failures) console.log(`FAILED ${f.name}: ${f.error}`)

mkdirSync(resultsDir, { recursive: true })
const base = `${resultsDir}bench-${quick ? 'quick' : 'full'}-${stamp}`
writeFileSync(`${base}.json`, JSON.stringify({ bench: 'stationwatch', mode: quick ? 'quick' : 'full', at, seconds, machine, results, failures }, null, 2) + '\n')
writeFileSync(`${base}.md`, markdown())
console.log(`\n${seconds} s; wrote ${base}.json and .md${profileDir ? `; CPU profiles in ${profileDir}` : ''}`)
process.exit(failures.length ? 1 : 0)

function markdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const out = [
    `# stationwatch benchmarks (${quick ? 'quick' : 'full'} mode)`,
    '',
    `${at}, ${seconds} s. ${machine.cpus} × ${machine.model}, ${machine.memoryGb} GB, Node ${machine.node}; load average ${machine.loadAverage.before} before, ${machine.loadAverage.after} after ` +
      `(other users of the machine included). Every part runs in its own process on loopback: service (or bare aedes), load generator, receivers, influxd — sharing the 2 cores.`,
    '',
    '| bench | metric | value | range | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.bench} | ${esc(r.metric)} | ${r.value} | ${r.range} | ${esc(r.target)} | ${r.met} |`),
    '',
  ]
  for (const r of results) out.push(`## ${r.title}`, '', r.method, '', `(${r.seconds} s)`, '')
  for (const f of failures) out.push(`**${f.name} failed:** ${esc(f.error)}`, '')
  return out.join('\n')
}
