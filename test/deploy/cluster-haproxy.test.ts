import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, get, type Server as HttpServer } from 'node:http'
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { describeWithHaproxy, findHaproxy } from '../helpers/haproxy.ts'
import { freePorts } from '../helpers/influxd.ts'
import { eventually } from '../helpers/wait.ts'
import { clusterCompose, INSTANCES, readRepoFile } from './cluster-compose.ts'
import { ROOT } from './contract-measurements.ts'

/**
 * deploy/cluster/haproxy.cfg checked by the real haproxy (Debian's 2.6; the compose file runs
 * 2.8): the file itself must pass `haproxy -c` while the instances' names resolve nowhere, as in
 * a deployment where an instance is not up yet; and a copy with only the listen ports and the
 * instances' addresses replaced must balance MQTT and HTTP to the instances, leaving out one whose
 * /api/health says it is not ready. The instances are stand-ins that answer with their name.
 */
const CFG = 'deploy/cluster/haproxy.cfg'
const cfg = readRepoFile(CFG)
const [lbMqtt, lbHttp] = clusterCompose.services.lb!.ports!.map((p) => Number(p.split(':').at(-1)))
const NOT_READY = 'sw-1'

const listening = <S extends HttpServer | TcpServer>(s: S): Promise<S> => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)))
const portOf = (s: HttpServer | TcpServer) => (s.address() as { port: number }).port

/** One request on a connection of its own: the balancer picks a server per connection. */
function fetchThrough(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(`${res.statusCode} ${body}`))
    }).on('error', reject)
  })
}

/** What an MQTT-port stand-in says on a new connection through the balancer. */
function greetingThrough(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    connect(port, '127.0.0.1').setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text)).on('error', reject)
  })
}

describeWithHaproxy('deploy/cluster/haproxy.cfg in the real haproxy', () => {
  const bin = findHaproxy()!
  let dir: string
  let haproxy: ChildProcess | undefined
  let lbPorts: { mqtt: number; http: number }
  const servers: (HttpServer | TcpServer)[] = []
  const healthChecks: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-deploy-haproxy-'))
    const addr = new Map<string, number>()
    for (const name of INSTANCES) {
      const mqtt = await listening(createTcpServer((socket) => socket.end(`mqtt ${name}`)))
      const http = await listening(createHttpServer((req, res) => {
        if (req.url === '/api/health') {
          healthChecks.push(`${req.method} ${req.url}`)
          return void (name === NOT_READY ? res.writeHead(503).end('{"status":"starting"}') : res.writeHead(200).end('{"status":"ok"}'))
        }
        res.end(`http ${name}`)
      }))
      servers.push(mqtt, http)
      addr.set(`${name}:1883`, portOf(mqtt)).set(`${name}:8080`, portOf(http))
    }
    const [mqtt, http] = await freePorts(2)
    lbPorts = { mqtt: mqtt!, http: http! }
    const binds = [...cfg.matchAll(/^\s*bind :(\d+)\s*$/gm)].map((m) => Number(m[1]))
    expect(binds.sort()).toEqual([lbMqtt, lbHttp].sort())
    const copy = cfg
      .replace(/^(\s*)bind :(\d+)\s*$/gm, (_m, indent: string, p: string) => `${indent}bind 127.0.0.1:${Number(p) === lbMqtt ? lbPorts.mqtt : lbPorts.http}`)
      .replace(/\b(sw-\d+:\d+)\b/g, (m) => `127.0.0.1:${addr.get(m) ?? 'unknown-instance-port'}`)
    const file = join(dir, 'haproxy.cfg')
    writeFileSync(file, copy)
    const proc = spawn(bin, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    haproxy = proc
    let output = ''
    for (const s of [proc.stdout, proc.stderr]) s.setEncoding('utf8').on('data', (c: string) => (output += c))
    await eventually(() => {
      if (proc.exitCode !== null) throw new Error(`haproxy exited (${proc.exitCode}): ${output}`)
      return new Promise<boolean>((resolve) => connect(lbPorts.http, '127.0.0.1').on('connect', function (this: Socket) { this.destroy(); resolve(true) }).on('error', () => resolve(false)))
    }, 10_000, 'haproxy listening')
  })

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) {
      const exited = new Promise((r) => haproxy!.once('exit', r))
      haproxy.kill('SIGTERM')
      await exited
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('the file passes haproxy -c with no instance resolvable: each such server only starts disabled', () => {
    const r = spawnSync(bin, ['-c', '-f', join(ROOT, CFG)], { encoding: 'utf8' })
    const out = `${r.stdout}${r.stderr}`
    expect(r.status, out).toBe(0)
    expect(out).not.toContain('[ALERT]')
    const warnings = out.split('\n').filter((l) => l.includes('[WARNING]'))
    for (const w of warnings) expect(w).toMatch(/could not resolve address 'sw-\d', disabling server/)
  })

  test('MQTT on the MQTT port reaches the instances\' MQTT listeners', async () => {
    const seen = new Set<string>()
    await eventually(async () => {
      seen.add(await greetingThrough(lbPorts.mqtt))
      return seen.size === INSTANCES.length
    }, 10_000, `every instance behind the MQTT port (seen ${[...seen].join(', ')})`)
    expect([...seen].sort()).toEqual(INSTANCES.map((n) => `mqtt ${n}`))
  })

  test('HTTP on the HTTP port reaches the ready instances only, as /api/health tells', async () => {
    // haproxy counts a server up at start; the not-ready one is down after its failed checks.
    const rounds = 8
    await eventually(async () => {
      const answers = await Promise.all(Array.from({ length: rounds }, () => fetchThrough(lbPorts.http, '/')))
      return !answers.some((a) => a.includes(NOT_READY)) && new Set(answers).size === INSTANCES.length - 1 && answers.every((a) => a.startsWith('200 http sw-'))
    }, 20_000, `no request to ${NOT_READY}, whose /api/health answers 503`)
    expect(healthChecks).toContain('GET /api/health')
  })
})
