// The real entry point as a child process: `node --import tsx src/main.ts` (contract §1).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Variables of contract §1 that must not leak from the test runner's environment into a child. */
const CONTRACT_VARS = ['HOST', 'MQTT_PORT', 'HTTP_PORT', 'DATA_DIR', 'STATIONS', 'INFLUX_URL', 'ADMIN_USER', 'ADMIN_PASSWORD', 'WEBHOOK_URL', 'LOG_LEVEL', 'NOTIFY_CONFIG', 'NATS_URL', 'DATABASE_URL', 'INSTANCE_ID']

export interface ServiceProcess {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  /** stdout and stderr lines that are JSON objects (the service's log) */
  logs(): Record<string, unknown>[]
  /** Resolves with the first JSON log line that satisfies `pred`. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends SIGKILL if still running. */
  kill(): void
}

const running = new Set<ServiceProcess>()

/** Starts `node <args>` in the repository root with a clean contract environment plus `env`. */
export function spawnNode(args: string[], env: Record<string, string>): ServiceProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONTRACT_VARS.includes(k)))
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  const listeners = new Set<() => void>()
  const lines = (into: string[]) => {
    let rest = ''
    return (chunk: Buffer) => {
      rest += chunk.toString('utf8')
      const parts = rest.split('\n')
      rest = parts.pop()!
      into.push(...parts)
      for (const l of listeners) l()
    }
  }
  child.stdout.on('data', lines(stdout))
  child.stderr.on('data', lines(stderr))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l()
      resolve({ code, signal })
    }),
  )
  const parse = (l: string) => {
    try {
      const v = JSON.parse(l)
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined
    } catch {
      return undefined
    }
  }
  const p: ServiceProcess = {
    child,
    stdout,
    stderr,
    logs: () => [...stdout, ...stderr].map(parse).filter((x): x is Record<string, unknown> => x !== undefined),
    waitForLog(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = p.logs().find(pred)
          if (hit) return (done(), resolve(hit))
          if (child.exitCode !== null || child.signalCode !== null) return (done(), reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before the log line appeared; stderr: ${stderr.join('\n')}`)))
        }
        const timer = setTimeout(() => (done(), reject(new Error(`no matching log line within ${timeoutMs} ms; stdout: ${stdout.join('\n')}\nstderr: ${stderr.join('\n')}`))), timeoutMs)
        const done = () => (clearTimeout(timer), listeners.delete(check))
        listeners.add(check)
        check()
      })
    },
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
  running.add(p)
  void exited.then(() => running.delete(p))
  return p
}

/** `node --import tsx src/main.ts` with `env`. */
export function spawnService(env: Record<string, string>): ServiceProcess {
  return spawnNode(['--import', 'tsx', 'src/main.ts'], env)
}

/** Kills every child this module started that is still running (for afterEach/afterAll). */
export function killAllSpawned(): void {
  for (const p of running) p.kill()
}

/** The `listening` line with numeric ports, or a rejection after `timeoutMs`. */
export async function waitListening(p: ServiceProcess, timeoutMs = 3000): Promise<{ mqttPort: number; httpPort: number }> {
  const line = await p.waitForLog((l) => JSON.stringify(l).includes('listening') && typeof l.mqttPort === 'number' && typeof l.httpPort === 'number', timeoutMs)
  return { mqttPort: line.mqttPort as number, httpPort: line.httpPort as number }
}
