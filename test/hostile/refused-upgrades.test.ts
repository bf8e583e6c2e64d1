// Issue 12 items 1 and 7, and the class around them: every connection the HTTP port takes has an
// error path and a time bound. Raw TCP clients with hand-written bytes against the real process:
// resets after (and before reading) each kind of refused upgrade, resets at each stage of an accepted
// upgrade (/ws, /mqtt), refused upgrades whose client keeps its end open, slow headers, silent and
// idle keep-alive connections. After each: the process is alive, a real device still gets its PUBACK
// within 1 s, and the process's descriptors come back.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { killAllSpawned } from '../helpers/process.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { rssMb, sleep } from './hostile-helpers.ts'
import { alive, devicePubackWithin, fdCount, fdsSettleTo, loginToken, rawClient, spawnHostile, statusOf, upgradeRequest, type Spawned } from './raw-http.ts'

const station = fixtureStation('rup')
const PASSWORD = 'refused-upgrades-admin'
let s: Spawned
let token: string
let fdBaseline: number

beforeAll(async () => {
  s = await spawnHostile(station, { ADMIN_PASSWORD: PASSWORD })
  token = await loginToken(s.httpPort, 'admin', PASSWORD)
  await devicePubackWithin(s, station, 5000) // warm: the store and the broker have served once
  await sleep(200)
  fdBaseline = fdCount(s.pid)
}, 30_000)
afterAll(() => killAllSpawned())

async function stillServing(): Promise<void> {
  expect(alive(s)).toBe(true)
  await devicePubackWithin(s, station, 1000)
  expect(alive(s)).toBe(true)
}

const REFUSED: { name: string; request: () => string; status: number }[] = [
  { name: '/ws without a token', request: () => upgradeRequest('/ws'), status: 401 },
  { name: '/mqtt without the mqtt subprotocol', request: () => upgradeRequest('/mqtt'), status: 400 },
  { name: 'an unknown path', request: () => upgradeRequest('/no-such-endpoint'), status: 404 },
]

describe('a client reset after a refused upgrade does not stop the service', () => {
  for (const kind of REFUSED) {
    test(`${kind.name}: ${kind.status}, then a TCP reset (after reading the answer, and before)`, async () => {
      for (let round = 0; round < 20; round++) {
        const c = rawClient(s.httpPort)
        await c.connected
        c.socket.write(kind.request())
        const text = await c.waitFor((t) => t.includes('\r\n\r\n'))
        expect(statusOf(text)).toBe(kind.status)
        c.socket.resetAndDestroy()
        // And one that resets without waiting for the answer.
        const d = rawClient(s.httpPort)
        await d.connected
        d.socket.write(kind.request())
        await sleep(round % 3)
        d.socket.resetAndDestroy()
      }
      await sleep(300)
      await stillServing()
    })
  }
})

describe('a refused upgrade does not keep its connection', () => {
  test('40 refused upgrades whose clients keep their end open are closed by the server within a few seconds', async () => {
    const before = fdCount(s.pid)
    const clients = []
    for (let i = 0; i < 40; i++) {
      const c = rawClient(s.httpPort)
      await c.connected
      c.socket.write(REFUSED[i % REFUSED.length]!.request())
      clients.push(c)
    }
    for (const c of clients) await c.waitFor((t) => t.includes('\r\n\r\n'))
    // The clients never end their side; the server must not wait for them.
    const after = await fdsSettleTo(s.pid, before + 2, 5000)
    expect(after).toBeLessThanOrEqual(before + 2)
    for (const c of clients) c.socket.destroy()
    await stillServing()
  })
})

describe('resets at each stage of an accepted upgrade', () => {
  test('/ws: half a request, a full upgrade then a reset, a reset mid-frame', async () => {
    for (let i = 0; i < 10; i++) {
      const half = rawClient(s.httpPort)
      await half.connected
      half.socket.write(upgradeRequest(`/ws?token=${token}`).slice(0, 40 + i))
      await sleep(5)
      half.socket.resetAndDestroy()

      const open = rawClient(s.httpPort)
      await open.connected
      open.socket.write(upgradeRequest(`/ws?token=${token}`))
      await open.waitFor((t) => t.startsWith('HTTP/1.1 101'))
      // A masked text frame header announcing 100 bytes, then only 3 of them, then a reset.
      open.socket.write(Buffer.from([0x81, 0x80 | 100, 1, 2, 3, 4, 0x61, 0x62, 0x63]))
      await sleep(5)
      open.socket.resetAndDestroy()
    }
    await sleep(300)
    await stillServing()
  })

  test('/mqtt: a full upgrade then a reset mid-CONNECT, and mid-frame', async () => {
    for (let i = 0; i < 10; i++) {
      const c = rawClient(s.httpPort)
      await c.connected
      c.socket.write(upgradeRequest('/mqtt', { 'Sec-WebSocket-Protocol': 'mqtt' }))
      await c.waitFor((t) => t.startsWith('HTTP/1.1 101'))
      if (i % 2 === 0) {
        // A whole binary frame holding the first bytes of an MQTT CONNECT that announces 60 bytes.
        const payload = Buffer.from([0x10, 60, 0, 4, 0x4d, 0x51])
        const mask = [9, 8, 7, 6]
        c.socket.write(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length, ...mask]), Buffer.from(payload.map((b, j) => b ^ mask[j % 4]!))]))
      } else {
        c.socket.write(Buffer.from([0x82, 0x80 | 50, 1, 2, 3, 4, 0x10]))
      }
      await sleep(5)
      c.socket.resetAndDestroy()
    }
    await sleep(300)
    await stillServing()
  })

  test('a malformed request is answered 400 and closed; a reset mid-body is survived', async () => {
    const bad = rawClient(s.httpPort)
    await bad.connected
    bad.socket.write('\x00\x01\x02 NOT HTTP\r\n\r\n')
    await bad.ended
    expect(statusOf(bad.received())).toBe(400)
    bad.socket.destroy()

    for (let i = 0; i < 10; i++) {
      const c = rawClient(s.httpPort)
      await c.connected
      c.socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"username":"adm`)
      await sleep(5)
      c.socket.resetAndDestroy()
    }
    await sleep(300)
    await stillServing()
  })
})

describe('slow and idle connections are bounded', () => {
  test('slow headers, a connection that says nothing, and an idle keep-alive connection are all closed by the server', async () => {
    const start = Date.now()
    const slow = rawClient(s.httpPort)
    const silent = rawClient(s.httpPort)
    const keepAlive = rawClient(s.httpPort)
    await Promise.all([slow.connected, silent.connected, keepAlive.connected])
    keepAlive.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
    await keepAlive.waitFor((t) => t.includes('"status"'))
    slow.socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n')
    // One header byte a second: never finishing the headers (slowloris).
    const drip = setInterval(() => slow.socket.write('X'), 1000)
    try {
      await Promise.race([Promise.all([slow.ended, silent.ended, keepAlive.ended]), sleep(16_000)])
    } finally {
      clearInterval(drip)
    }
    const took = Date.now() - start
    expect({ slow: slow.socket.readableEnded, silent: silent.socket.readableEnded, keepAlive: keepAlive.socket.readableEnded }).toEqual({ slow: true, silent: true, keepAlive: true })
    expect(took).toBeLessThan(16_000)
    for (const c of [slow, silent, keepAlive]) c.socket.destroy()
    await stillServing()
  }, 30_000)
})

test('a flood of 2,000 refused upgrades, half of them reset: memory and descriptors come back', async () => {
  const rssBefore = rssMb(s.pid)
  const fdsBefore = fdCount(s.pid)
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const c = rawClient(s.httpPort)
        await c.connected
        c.socket.write(REFUSED[i % REFUSED.length]!.request())
        if (i % 2) return c.socket.resetAndDestroy()
        await c.waitFor((t) => t.includes('\r\n\r\n'))
        c.socket.destroy()
      }),
    )
  }
  const fds = await fdsSettleTo(s.pid, fdsBefore + 2, 5000)
  expect(fds).toBeLessThanOrEqual(fdsBefore + 2)
  const grown = rssMb(s.pid) - rssBefore
  console.log(`refused-upgrade flood: RSS ${rssBefore.toFixed(1)} MB → +${grown.toFixed(1)} MB, fds ${fdsBefore} → ${fds}`)
  expect(grown).toBeLessThan(40)
  await stillServing()
}, 60_000)

test('after all of the above the process holds no more descriptors than before', async () => {
  const n = await fdsSettleTo(s.pid, fdBaseline + 3, 5000)
  expect(n).toBeLessThanOrEqual(fdBaseline + 3)
  expect(alive(s)).toBe(true)
})
