// Contract §1 (running it: start-up line, generated password, SIGTERM, configuration errors)
// and §2 (`stationwatch secret`), through the real entry point as a child process.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { connackCode, fixtureDevices } from '../../helpers/contract.ts'
import { killAllSpawned, REPO_ROOT, spawnService, waitListening, type ServiceProcess } from '../../helpers/process.ts'
import { startTestService } from '../../helpers/service.ts'
import { fixtureStation, tempDir, writeStations } from '../../helpers/station-fixture.ts'

const station = fixtureStation('proc')
const dev = fixtureDevices('proc')
const stationsDir = writeStations([station])
const PASSWORD = 'process-test-password'

// Tests run one after another; this stops any process a failed assertion left behind.
afterEach(() => killAllSpawned())
afterAll(() => killAllSpawned())

const env = (extra: Record<string, string> = {}) => ({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-proc-data-'), STATIONS: stationsDir, LOG_LEVEL: 'info', ...extra })

async function stopWithSigterm(p: ServiceProcess): Promise<number | null> {
  p.child.kill('SIGTERM')
  const r = await withTimeout(p.exited, 15_000, 'exit after SIGTERM')
  return r.code
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(timer))
}

async function loginStatus(httpPort: number, username: string, password: string): Promise<{ status: number; token?: string }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  const body = (await r.json().catch(() => ({}))) as { token?: string }
  return { status: r.status, ...(body.token ? { token: body.token } : {}) }
}

const allOutput = (p: ServiceProcess) => [...p.stdout, ...p.stderr].filter((l) => l.trim().length > 0)

/** The generated admin password from the log: a `password` field, or the word after "password". */
function generatedPassword(p: ServiceProcess): string | undefined {
  for (const l of p.logs()) if (typeof l.password === 'string') return l.password
  for (const l of allOutput(p)) {
    const m = /password\W+([A-Za-z0-9_~.+/=-]{8,})/i.exec(l)
    if (m) return m[1]
  }
  return undefined
}

/** Generous: for tests whose point is not start-up time (the machine may be shared and busy). */
const UP = 15_000

describe('start-up time', () => {
  // On a busy shared machine a slow start is retried; the contract's 3 s must hold at least once.
  test('the service logs one "listening" line with the ports it bound within 3 s, and serves on them', async () => {
    const misses: string[] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      const p = spawnService(env({ ADMIN_PASSWORD: PASSWORD }))
      try {
        let ports: { mqttPort: number; httpPort: number }
        try {
          ports = await waitListening(p, 3000)
        } catch (err) {
          misses.push((err as Error).message.split('\n')[0]!)
          continue
        }
        const { mqttPort, httpPort } = ports
        expect(mqttPort).toBeGreaterThan(0)
        expect(httpPort).toBeGreaterThan(0)
        expect(p.logs().filter((l) => JSON.stringify(l).includes('listening'))).toHaveLength(1)
        const health = await fetch(`http://127.0.0.1:${httpPort}/api/health`)
        expect(health.status).toBe(200)
        expect(await connackCode(`mqtt://127.0.0.1:${mqttPort}`, { clientId: dev.doorMain, username: dev.doorMain, password: station.secrets[dev.doorMain]! })).toBe(0)
        expect((await loginStatus(httpPort, 'admin', PASSWORD)).status).toBe(200)
        expect(await stopWithSigterm(p)).toBe(0)
        return
      } finally {
        p.kill()
      }
    }
    expect.fail(`no start reached "listening" within 3 s in 5 attempts: ${misses.join(' | ')}`)
  }, 60_000)
})

describe('start-up and shutdown', () => {
  test('without ADMIN_PASSWORD a generated password is printed once, logs in, and is not printed on the next start', async () => {
    const e = env()
    const first = spawnService(e)
    const { httpPort } = await waitListening(first, UP)
    const pw = generatedPassword(first)
    expect(pw, allOutput(first).join('\n')).toBeDefined()
    expect(allOutput(first).filter((l) => l.includes(pw!))).toHaveLength(1)
    expect((await loginStatus(httpPort, 'admin', pw!)).status).toBe(200)
    expect(await stopWithSigterm(first)).toBe(0)

    const second = spawnService(e)
    const again = await waitListening(second, UP)
    expect(allOutput(second).filter((l) => l.includes(pw!))).toEqual([])
    expect(generatedPassword(second)).toBeUndefined()
    expect((await loginStatus(again.httpPort, 'admin', pw!)).status).toBe(200)
    expect(await stopWithSigterm(second)).toBe(0)
  }, 45_000)

  test('SIGTERM exits 0, and readings published just before it are in history after a restart', async () => {
    const e = env({ ADMIN_PASSWORD: PASSWORD })
    const first = spawnService(e)
    const { mqttPort } = await waitListening(first, UP)
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4, clientId: dev.doorMain, username: dev.doorMain, password: station.secrets[dev.doorMain], reconnectPeriod: 0 })
    const ts0 = Date.now()
    const N = 25
    await Promise.all(Array.from({ length: N }, (_, i) => c.publishAsync(`stations/proc/devices/${dev.doorMain}/state`, JSON.stringify({ ts: ts0 + i, seq: i + 1, open: i % 2 === 0 }), { qos: 1 })))
    // Every PUBACK is in: stop at once, before any periodic flush could run.
    first.child.kill('SIGTERM')
    const { code } = await withTimeout(first.exited, 15_000, 'exit after SIGTERM')
    c.end(true)
    expect(code).toBe(0)

    const second = spawnService(e)
    const { httpPort } = await waitListening(second, UP)
    const { token } = await loginStatus(httpPort, 'admin', PASSWORD)
    const r = await fetch(`http://127.0.0.1:${httpPort}/api/stations/proc/history?subject=door:main&from=${ts0 - 60_000}`, { headers: { authorization: `Bearer ${token}` } })
    expect(r.status).toBe(200)
    const body = (await r.json()) as { points: { v: unknown }[] }
    expect(body.points).toHaveLength(N)
    expect(await stopWithSigterm(second)).toBe(0)
  }, 45_000)

  test('a SIGTERM or SIGINT sent the moment "listening" appears is handled: exit code 0, not death by signal', async () => {
    // Once "listening" is logged, a supervisor may stop the service at any time. Four tries, as
    // a signal that lands before the handlers are installed kills the process only sometimes.
    const results: string[] = []
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM'] as const) {
      const p = spawnService(env({ ADMIN_PASSWORD: PASSWORD }))
      await waitListening(p, UP)
      p.child.kill(signal)
      const r = await withTimeout(p.exited, 15_000, `exit after ${signal}`)
      results.push(`${signal} → ${r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`}`)
    }
    expect(results).toEqual(['SIGINT → exit 0', 'SIGTERM → exit 0', 'SIGINT → exit 0', 'SIGTERM → exit 0'])
  }, 60_000)
})

describe('configuration errors stop start-up with one message naming the file and field', () => {
  /** Runs the service with `extra` env and returns its exit code and its one message. */
  async function failingStart(extra: Record<string, string>): Promise<{ code: number | null; lines: string[]; text: string }> {
    const p = spawnService(env(extra))
    const { code } = await withTimeout(p.exited, 20_000, 'the process to exit on a configuration error')
    const lines = allOutput(p)
    return { code, lines, text: lines.join('\n') }
  }
  function expectOneClearMessage(r: { code: number | null; lines: string[]; text: string }) {
    expect(r.code, r.text).not.toBe(0)
    expect(r.code, r.text).not.toBeNull()
    expect(r.lines, r.text).toHaveLength(1)
    expect(r.text).not.toMatch(/^\s+at /m)
  }
  const stationFile = (dir: string, name: string, json: unknown) => {
    mkdirSync(dir, { recursive: true })
    const file = join(dir, name)
    writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json, null, 2))
    return file
  }

  test('a station file with a field of the wrong type names the file and the field', async () => {
    const dir = tempDir('sw-bad-stations-')
    const st = fixtureStation('typo')
    const file = stationFile(dir, 'typo.json', { ...st.json, rules: { doorOpenMaxSeconds: 'ten' } })
    const r = await failingStart({ STATIONS: dir })
    expectOneClearMessage(r)
    expect(r.text).toContain(file)
    expect(r.text).toContain('rules.doorOpenMaxSeconds')
  })

  test('a station file with a wrongly typed device field names the file and the field path', async () => {
    const dir = tempDir('sw-bad-stations-')
    const st = fixtureStation('typo2')
    const devices = structuredClone(st.json.devices) as Record<string, unknown>[]
    devices[3]!.items = 'spreader-1'
    const file = stationFile(dir, 'typo2.json', { ...st.json, devices })
    const r = await failingStart({ STATIONS: dir })
    expectOneClearMessage(r)
    expect(r.text).toContain(file)
    expect(r.text).toMatch(/devices\.3\.items/)
  })

  test('a device id used in two station files names the duplicate and a file', async () => {
    const dir = tempDir('sw-dup-stations-')
    const a = fixtureStation('one')
    const b = fixtureStation('two')
    ;(b.json.devices as { id: string }[])[0]!.id = 'one-door-main'
    const fa = stationFile(dir, 'one.json', a.json)
    const fb = stationFile(dir, 'two.json', b.json)
    const r = await failingStart({ STATIONS: dir })
    expectOneClearMessage(r)
    expect(r.text).toContain('one-door-main')
    expect(r.text.includes(fa) || r.text.includes(fb)).toBe(true)
    expect(r.text).toMatch(/devices/)
  })

  test('a STATIONS path that does not exist names STATIONS and the path', async () => {
    const missing = join(tempDir('sw-missing-'), 'no-such-folder')
    const r = await failingStart({ STATIONS: missing })
    expectOneClearMessage(r)
    expect(r.text).toContain(missing)
    expect(r.text).toContain('STATIONS')
  })

  test('a station file that is not valid JSON names the file', async () => {
    const dir = tempDir('sw-broken-stations-')
    const file = stationFile(dir, 'broken.json', '{ "id": "broken", ')
    const r = await failingStart({ STATIONS: dir })
    expectOneClearMessage(r)
    expect(r.text).toContain(file)
  })

  test('MQTT_PORT=abc names MQTT_PORT', async () => {
    const r = await failingStart({ MQTT_PORT: 'abc' })
    expectOneClearMessage(r)
    expect(r.text).toContain('MQTT_PORT')
  })

  test('HTTP_PORT=99999 names HTTP_PORT', async () => {
    const r = await failingStart({ HTTP_PORT: '99999' })
    expectOneClearMessage(r)
    expect(r.text).toContain('HTTP_PORT')
  })

  test('an HTTP_PORT already in use names HTTP_PORT', async () => {
    const busy = await occupyPort()
    try {
      const r = await failingStart({ HTTP_PORT: String(busy.port), ADMIN_PASSWORD: PASSWORD })
      expectOneClearMessage(r)
      expect(r.text).toContain('HTTP_PORT')
    } finally {
      busy.server.close()
    }
  })

  test('an MQTT_PORT already in use names MQTT_PORT', async () => {
    const busy = await occupyPort()
    try {
      const r = await failingStart({ MQTT_PORT: String(busy.port), ADMIN_PASSWORD: PASSWORD })
      expectOneClearMessage(r)
      expect(r.text).toContain('MQTT_PORT')
    } finally {
      busy.server.close()
    }
  })

  test('a first start that fails on a port in use prints only the error, and the next good start prints the generated password', async () => {
    const busy = await occupyPort()
    const dataDir = tempDir('sw-proc-data-')
    try {
      const r = await failingStart({ HTTP_PORT: String(busy.port), DATA_DIR: dataDir })
      expect(r.text).toContain('HTTP_PORT')
      expect(r.code).not.toBe(0)
      // Soft: go on to show whether the password was lost as well.
      expect.soft(r.lines, r.text).toHaveLength(1)
    } finally {
      busy.server.close()
    }
    const good = spawnService(env({ DATA_DIR: dataDir }))
    try {
      const { httpPort } = await waitListening(good, UP)
      const pw = generatedPassword(good)
      expect(pw, 'the first successful start must show the generated administrator password').toBeDefined()
      expect((await loginStatus(httpPort, 'admin', pw!)).status).toBe(200)
    } finally {
      good.kill()
    }
  }, 45_000)
})

async function occupyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

describe('stationwatch secret', () => {
  function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.once('error', reject)
      child.once('exit', (code) => resolve({ code, stdout, stderr }))
    })
  }
  function verify(out: { code: number | null; stdout: string; stderr: string }): { secret: string; secretHash: string } {
    expect(out.code, out.stderr).toBe(0)
    const parsed = JSON.parse(out.stdout) as { secret: string; secretHash: string }
    expect(Object.keys(parsed).sort()).toEqual(['secret', 'secretHash'])
    const m = /^sha256:([0-9a-f]{16,}):([0-9a-f]{64})$/.exec(parsed.secretHash)
    expect(m, parsed.secretHash).not.toBeNull()
    expect(createHash('sha256').update(m![1]! + parsed.secret, 'utf8').digest('hex')).toBe(m![2])
    // At least 128 bits: 22 characters of base64, 32 of hex.
    expect(parsed.secret.length).toBeGreaterThanOrEqual(22)
    return parsed
  }

  test('node bin/stationwatch.js secret prints a secret and a secretHash that verifies per contract §2', async () => {
    const a = verify(await run(process.execPath, ['bin/stationwatch.js', 'secret']))
    const b = verify(await run(process.execPath, ['bin/stationwatch.js', 'secret']))
    expect(a.secret).not.toBe(b.secret)
    expect(a.secretHash.split(':')[1]).not.toBe(b.secretHash.split(':')[1])
  })

  test('npx stationwatch secret works from the repository', async () => {
    verify(await run('npx', ['--no', 'stationwatch', 'secret']))
  })

  test('a device configured with a secretHash from the command connects with its secret', async () => {
    const { secret, secretHash } = verify(await run(process.execPath, ['bin/stationwatch.js', 'secret']))
    const st = fixtureStation('clisecret')
    const d = fixtureDevices('clisecret')
    ;(st.json.devices as { id: string; secretHash: string }[]).find((x) => x.id === d.doorMain)!.secretHash = secretHash
    st.secrets[d.doorMain] = secret
    const t = await startTestService({ stations: [st] })
    try {
      expect(await connackCode(`mqtt://127.0.0.1:${t.svc.mqttPort}`, { clientId: d.doorMain, username: d.doorMain, password: secret })).toBe(0)
      expect([4, 5]).toContain(await connackCode(`mqtt://127.0.0.1:${t.svc.mqttPort}`, { username: d.doorMain, password: secret + 'x' }))
    } finally {
      await t.stop()
    }
  })
})
