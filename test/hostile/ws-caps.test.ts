// Issue 12 item 8, contract v2 A4: `/ws` takes at most 20 connections per login session and 100
// per client address; more get 429 at once (answered and closed), counted in /metrics, said once in
// the log. After the flood, the process's descriptors come back and a device still gets its PUBACK.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { killAllSpawned } from '../helpers/process.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { fetchMetric, sleep } from './hostile-helpers.ts'
import { eventually } from '../helpers/wait.ts'
import { alive, devicePubackWithin, fdCount, fdsSettleTo, loginToken, rawClient, spawnHostile, statusOf, upgradeRequest, type Spawned } from './raw-http.ts'

const station = fixtureStation('wscap')
const PASSWORD = 'ws-caps-admin'
let s: Spawned
let fdBaseline: number
const open: WebSocket[] = []

beforeAll(async () => {
  s = await spawnHostile(station, { ADMIN_PASSWORD: PASSWORD })
  await devicePubackWithin(s, station, 5000)
  await sleep(200)
  fdBaseline = fdCount(s.pid)
}, 30_000)
afterAll(() => {
  for (const ws of open) ws.terminate()
  killAllSpawned()
})

function connectLive(token: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.httpPort}/ws?token=${encodeURIComponent(token)}`)
  open.push(ws)
  return new Promise((resolve, reject) => (ws.once('open', () => resolve(ws)), ws.once('error', reject)))
}

/** A raw upgrade to /ws: the status, and whether the server closed the connection (FIN) within 2 s. */
async function rawUpgrade(token: string): Promise<{ status: number; closed: boolean }> {
  const c = rawClient(s.httpPort)
  await c.connected
  c.socket.write(upgradeRequest(`/ws?token=${encodeURIComponent(token)}`))
  const text = await c.waitFor((t) => t.includes('\r\n\r\n'))
  const closed = await Promise.race([c.ended.then(() => true), sleep(2000).then(() => false)])
  c.socket.destroy()
  return { status: statusOf(text), closed }
}

const capLines = (reason: string) => s.p.logs().filter((l) => l.reason === reason && String(l.msg).includes('/ws connection cap'))

test('the 21st /ws connection of one session gets 429 and is closed at once; a slot freed is a slot usable', async () => {
  const a = await loginToken(s.httpPort, 'admin', PASSWORD)
  for (let i = 0; i < 20; i++) await connectLive(a)
  for (let i = 0; i < 5; i++) expect(await rawUpgrade(a)).toEqual({ status: 429, closed: true })
  expect(await fetchMetric(s.httpPort, 'stationwatch_ws_refused_total', { reason: 'per-session' })).toBe(5)
  // The service is another process: its log line arrives through a pipe, maybe after the answer.
  await eventually(() => capLines('per-session').length >= 1, 3000, 'the per-session cap log line')
  expect(capLines('per-session')).toHaveLength(1)
  // Another session of the same user is not affected by this session's cap.
  const b = await loginToken(s.httpPort, 'admin', PASSWORD)
  await connectLive(b)
  // One of session a's connections closes: its slot is free again.
  const first = open[0]!
  await new Promise<void>((resolve) => (first.once('close', () => resolve()), first.close()))
  await sleep(100)
  await connectLive(a)
  expect(alive(s)).toBe(true)
})

test('past 100 /ws connections from one address, more get 429 whatever the session', async () => {
  // 20 (a) + 1 (b) are open; fill up to 100 with fresh sessions.
  let have = open.filter((w) => w.readyState === WebSocket.OPEN).length
  expect(have).toBe(21)
  while (have < 100) {
    const t = await loginToken(s.httpPort, 'admin', PASSWORD)
    for (let i = 0; i < 20 && have < 100; i++, have++) await connectLive(t)
  }
  const fresh = await loginToken(s.httpPort, 'admin', PASSWORD)
  for (let i = 0; i < 3; i++) expect(await rawUpgrade(fresh)).toEqual({ status: 429, closed: true })
  expect(await fetchMetric(s.httpPort, 'stationwatch_ws_refused_total', { reason: 'per-address' })).toBe(3)
  // The service is another process: its log line arrives through a pipe, maybe after the answer.
  await eventually(() => capLines('per-address').length >= 1, 3000, 'the per-address cap log line')
  expect(capLines('per-address')).toHaveLength(1)
  expect(await fetchMetric(s.httpPort, 'stationwatch_ws_clients')).toBe(100)
  await devicePubackWithin(s, station, 1000)
})

test('after the flood is closed, descriptors come back and the process serves', async () => {
  await Promise.all(open.splice(0).map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : (ws.once('close', () => resolve()), ws.close())))))
  const n = await fdsSettleTo(s.pid, fdBaseline + 3, 5000)
  expect(n).toBeLessThanOrEqual(fdBaseline + 3)
  expect(await fetchMetric(s.httpPort, 'stationwatch_ws_clients')).toBe(0)
  await devicePubackWithin(s, station, 1000)
})
