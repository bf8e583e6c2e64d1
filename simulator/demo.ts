import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { DEMO_SECRETS_FILE } from './make-demo-station.ts'
import { startSimulation } from './simulation.ts'
import { loadSecrets, loadStationFiles } from './station-files.ts'
import { formatDuration } from './summary.ts'

/**
 * `npm run demo`: starts the service, waits for its "listening" line, then plays
 * normal-day against it with the demo secrets, over and over, so the dashboard
 * comes alive. Ctrl-C stops both.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const LISTEN_TIMEOUT_MS = 60_000

const argsSchema = z.object({
  speed: z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--speed: must be a positive number')
    .transform(Number)
    .refine((n) => n > 0 && n <= 100_000, '--speed: must be above 0 and at most 100000')
    .default(60),
  seed: z.string().regex(/^\d+$/, '--seed: must be a whole number').transform(Number).default(1),
})

interface Listening {
  mqttPort: number
  httpPort: number
  host: string
}

async function main(): Promise<number> {
  let args: z.infer<typeof argsSchema>
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { speed: { type: 'string' }, seed: { type: 'string' } } })
    const r = argsSchema.safeParse(values)
    if (!r.success) throw new Error(r.error.issues[0]!.message)
    args = r.data
  } catch (err) {
    console.error(`demo: ${(err as Error).message} (usage: npm run demo -- [--speed X] [--seed S])`)
    return 2
  }

  // LEDGER_SEED: the demo station's opening stock (台账), applied once, to a ledger with no history.
  const env: NodeJS.ProcessEnv = { ...process.env, HTTP_PORT: process.env.HTTP_PORT ?? '8080', MQTT_PORT: process.env.MQTT_PORT ?? '1883', LEDGER_SEED: process.env.LEDGER_SEED ?? 'config/ledger' }
  // Its own process group: Ctrl-C reaches the demo only, which first disconnects the
  // devices cleanly and then stops the service (otherwise every will fires on the way out).
  const service = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  process.on('exit', () => service.exitCode === null && service.kill('SIGTERM'))
  const exited = new Promise<number>((resolve) => service.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))))
  createInterface({ input: service.stderr }).on('line', (l) => console.error(`[service] ${l}`))

  const listening = await new Promise<Listening | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), LISTEN_TIMEOUT_MS)
    void exited.then(() => resolve(undefined))
    createInterface({ input: service.stdout }).on('line', (line) => {
      console.error(`[service] ${compactLog(line)}`)
      const entry = parseJsonLine(line)
      if (entry && typeof entry.msg === 'string' && entry.msg.includes('listening') && typeof entry.mqttPort === 'number' && typeof entry.httpPort === 'number') {
        clearTimeout(timer)
        resolve({ mqttPort: entry.mqttPort, httpPort: entry.httpPort, host: typeof entry.host === 'string' ? entry.host : '127.0.0.1' })
      }
    })
  })
  if (!listening) {
    service.kill('SIGTERM')
    console.error('demo: the service did not log "listening" (see its output above)')
    return (await exited) || 1
  }

  const host = ['0.0.0.0', '::', ''].includes(listening.host) ? '127.0.0.1' : listening.host
  const stationsPath = resolve(ROOT, env.STATIONS ?? 'config/stations')
  const secrets = loadSecrets(DEMO_SECRETS_FILE)
  // Only stations whose every device has a demo secret can be simulated with them.
  const stations = loadStationFiles(stationsPath).filter((s) => s.devices.every((d) => secrets[d.id]))
  if (stations.length === 0) {
    service.kill('SIGTERM')
    console.error(`demo: no station in ${stationsPath} uses the demo secrets of ${DEMO_SECRETS_FILE} (run: node --import tsx simulator/make-demo-station.ts)`)
    return (await exited) || 1
  }
  console.log(`\ndashboard: http://${host}:${listening.httpPort}/   MQTT: mqtt://${host}:${listening.mqttPort}`)
  console.log(
    `log in as ${env.ADMIN_USER ?? 'admin'} with ${env.ADMIN_PASSWORD ? 'ADMIN_PASSWORD' : 'the password the service printed above (first start only)'}`,
  )
  console.log(`wall screen (大屏): http://${host}:${listening.httpPort}/wall/${stations[0]!.id} after logging in, or with a display token (docs/wall-screen.md)`)
  console.log(`playing normal-day on ${stations.map((s) => s.id).join(', ')} at ×${args.speed} (a day every ${formatDuration((24 * 3600 * 1000) / args.speed)}), until Ctrl-C\n`)

  const sim = startSimulation({
    url: `mqtt://${host}:${listening.mqttPort}`,
    stations,
    secrets,
    scenario: 'normal-day',
    seed: args.seed,
    speed: args.speed,
    repeat: Infinity,
    log: (m) => console.log(`[simulator] ${m}`),
  })
  const progress = setInterval(() => {
    const c = sim.counters
    console.log(`[simulator] ${formatDuration(sim.progress().scenarioMs)} of scenario time · ${c.connected} devices up · ${c.sent} messages acknowledged`)
  }, 30_000)

  let stopping = false
  const stopAll = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    clearInterval(progress)
    await sim.stop()
    service.kill('SIGTERM')
  }
  process.on('SIGINT', () => void stopAll())
  process.on('SIGTERM', () => void stopAll())
  const code = await exited
  if (!stopping) {
    console.error(`demo: the service exited (code ${code})`)
    await stopAll()
    return code || 1
  }
  return 0
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line)
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** pino's JSON as "level msg {fields}", easier to read next to the simulator's lines. */
function compactLog(line: string): string {
  const e = parseJsonLine(line)
  if (!e) return line
  const { level, time: _time, msg, service: _service, pid: _pid, hostname: _hostname, ...rest } = e
  const name = ({ 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' } as Record<string, string>)[String(level)] ?? String(level)
  return `${name} ${typeof msg === 'string' ? msg : JSON.stringify(msg ?? '')}${Object.keys(rest).length ? ' ' + JSON.stringify(rest) : ''}`
}

process.exitCode = await main()
