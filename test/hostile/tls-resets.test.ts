// Issue 12, the class around item 1 over HTTPS (HTTP_TLS_* set): a client can end a TLS connection
// at any byte — mid-handshake, right after it, mid-request, after a refused upgrade — or send bytes
// that are not TLS at all. The process carries on, a real device still gets its PUBACK within 1 s,
// and the process's descriptors come back.
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { killAllSpawned } from '../helpers/process.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { makeCert, type TestCert } from '../helpers/tls-and-logs.ts'
import { sleep } from './hostile-helpers.ts'
import { alive, devicePubackWithin, fdCount, fdsSettleTo, spawnHostile, statusOf, upgradeRequest, type Spawned } from './raw-http.ts'

const station = fixtureStation('tlsr')
let cert: TestCert
let s: Spawned
let fdBaseline: number

beforeAll(async () => {
  cert = makeCert()
  s = await spawnHostile(station, { ADMIN_PASSWORD: 'tls-resets-admin', HTTP_TLS_CERT: cert.certPath, HTTP_TLS_KEY: cert.keyPath })
  await devicePubackWithin(s, station, 5000)
  await sleep(200)
  fdBaseline = fdCount(s.pid)
}, 30_000)
afterAll(() => killAllSpawned())

function tcp(): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port: s.httpPort })
  socket.on('error', () => undefined)
  return new Promise((resolve, reject) => (socket.once('connect', () => resolve(socket)), socket.once('error', reject)))
}

/** A TLS client over a TCP socket the test can reset (RST) at will. */
async function tls(): Promise<{ raw: Socket; tls: TLSSocket }> {
  const raw = await tcp()
  const t = tlsConnect({ socket: raw, ca: cert.ca, servername: 'localhost' })
  t.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => (t.once('secureConnect', () => resolve()), t.once('error', reject)))
  return { raw, tls: t }
}

async function stillServing(): Promise<void> {
  await sleep(300)
  expect(alive(s)).toBe(true)
  await devicePubackWithin(s, station, 1000)
}

test('a reset mid-handshake (after part of a ClientHello, or after the whole of it)', async () => {
  for (let i = 0; i < 15; i++) {
    // Half a ClientHello record: the header announces 512 bytes, a few follow.
    const a = await tcp()
    a.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]))
    await sleep(2)
    a.resetAndDestroy()
    // A real handshake cut right after the ClientHello leaves.
    const b = await tcp()
    const t = tlsConnect({ socket: b, ca: cert.ca, servername: 'localhost' })
    t.on('error', () => undefined)
    await sleep(1 + (i % 3))
    b.resetAndDestroy()
  }
  await stillServing()
})

test('bytes that are not TLS are dropped, and the connection closed', async () => {
  const c = await tcp()
  const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
  c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await Promise.race([closed, sleep(3000).then(() => Promise.reject(new Error('a plain-HTTP client on the HTTPS port was not closed within 3 s')))])
  await stillServing()
})

test('a reset right after the handshake, mid-request, and after a refused upgrade over TLS', async () => {
  for (let i = 0; i < 10; i++) {
    const a = await tls()
    a.raw.resetAndDestroy()

    const b = await tls()
    b.tls.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n{"user')
    await sleep(2)
    b.raw.resetAndDestroy()

    const c = await tls()
    let got = ''
    c.tls.on('data', (d: Buffer) => (got += d.toString('latin1')))
    c.tls.write(upgradeRequest(i % 2 ? '/ws' : '/nowhere'))
    const deadline = Date.now() + 3000
    while (!got.includes('\r\n\r\n') && Date.now() < deadline) await sleep(5)
    expect(statusOf(got)).toBe(i % 2 ? 401 : 404)
    c.raw.resetAndDestroy()
  }
  await stillServing()
})

test('refused upgrades over TLS whose clients keep their end open are closed by the server within a few seconds', async () => {
  const before = fdCount(s.pid)
  const clients: { raw: Socket; tls: TLSSocket }[] = []
  for (let i = 0; i < 20; i++) {
    const c = await tls()
    c.tls.write(upgradeRequest(i % 2 ? '/ws' : '/nowhere'))
    clients.push(c)
  }
  const n = await fdsSettleTo(s.pid, before + 2, 5000)
  expect(n).toBeLessThanOrEqual(before + 2)
  for (const c of clients) c.raw.destroy()
  await stillServing()
})

test('after all of the above the process holds no more descriptors than before', async () => {
  const n = await fdsSettleTo(s.pid, fdBaseline + 3, 5000)
  expect(n).toBeLessThanOrEqual(fdBaseline + 3)
})
