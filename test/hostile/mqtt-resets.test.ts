// Issue 12, the class: a client may reset (TCP RST) at any byte of CONNECT, SUBSCRIBE and PUBLISH,
// over plain TCP and over MQTT-over-TLS (before, during and after the handshake), half-close, or
// stay idle; the service carries on, releases the descriptors, and a real device still gets its
// PUBACK within 1 s.
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { makeCert, type TestCert } from '../helpers/tls-and-logs.ts'
import { sleep, watchUnhandled, within } from './hostile-helpers.ts'
import { connectPacket, publishPacket, rawConnect, subscribePacket } from './mqtt-bytes.ts'
import { openFds, startRig, type Rig } from './mqtt-rig.ts'

const S = 'resets'
let rig: Rig
let cert: TestCert
const unhandled = watchUnhandled()

beforeAll(async () => {
  cert = makeCert()
  rig = await startRig(S, { MQTT_TLS_CERT: cert.certPath, MQTT_TLS_KEY: cert.keyPath, MQTTS_PORT: '0' })
}, 30_000)
afterAll(async () => {
  await rig?.stop()
  unhandled.uninstall()
})

type Transport = 'tcp' | 'tls'

/** The TCP socket under each TLS socket, which is what a reset is sent on. */
const tcpOf = new WeakMap<Socket, Socket>()

function tlsOver(port: number): TLSSocket {
  const tcp = netConnect({ port, host: '127.0.0.1' })
  tcp.on('error', () => undefined)
  const s = tlsConnect({ socket: tcp, ca: cert.ca, servername: 'localhost' })
  tcpOf.set(s, tcp)
  return s
}

async function open(transport: Transport): Promise<Socket | TLSSocket> {
  const s = transport === 'tcp' ? netConnect({ port: rig.svc.mqttPort, host: '127.0.0.1' }) : tlsOver(rig.svc.mqttsPort!)
  s.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    s.once(transport === 'tcp' ? 'connect' : 'secureConnect', () => resolve())
    s.once('close', () => reject(new Error('closed before connecting')))
  })
  return s
}

/** Waits for the first bytes from the server (the CONNACK). */
const firstAnswer = (s: Socket) => within(new Promise<void>((resolve) => s.once('data', () => resolve())), 5000, 'CONNACK')

/** Offsets 0..len-1: all of the first and last 8, and every `step`th between. */
function offsets(len: number, step: number): number[] {
  const out = new Set<number>()
  for (let i = 0; i < len; i++) if (i < 8 || i >= len - 8 || i % step === 0) out.add(i)
  return [...out]
}

function reset(s: Socket): void {
  const tcp = tcpOf.get(s) ?? s
  if (tcp.destroyed) s.destroy()
  else tcp.resetAndDestroy()
  s.destroy()
}

function resetAfter(s: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (bytes.length) s.write(bytes)
    // Let the server read what was sent, then cut the connection with a reset.
    setTimeout(() => {
      reset(s)
      resolve()
    }, 2)
  })
}

async function resetsAtEveryStage(transport: Transport): Promise<number> {
  const creds = { username: rig.dev.shelf, password: rig.st.secrets[rig.dev.shelf]! }
  const connect = connectPacket({ clientId: `${rig.dev.shelf}-r`, ...creds, will: { topic: `stations/${S}/devices/${rig.dev.shelf}/status`, payload: Buffer.from('{"online":false}') } })
  const subscribe = subscribePacket(`stations/${S}/devices/${rig.dev.shelf}/cmd`, 1, 3)
  const publish = publishPacket({ topic: `stations/${S}/devices/${rig.dev.shelf}/state`, payload: Buffer.from(JSON.stringify({ ts: Date.now(), seq: 1, items: { water: 30 } })), qos: 1, id: 9 })
  let n = 0
  for (const k of offsets(connect.length, 7)) {
    await resetAfter(await open(transport), connect.subarray(0, k))
    n++
  }
  for (const [name, pkt] of [['subscribe', subscribe], ['publish', publish]] as const) {
    for (const k of offsets(pkt.length, 5)) {
      const s = await open(transport)
      const answered = firstAnswer(s)
      s.write(connect)
      await answered
      await resetAfter(s, pkt.subarray(0, k))
      n++
      if (name === 'publish' && k === 0) await sleep(1)
    }
  }
  return n
}

test('a reset at every stage of CONNECT, SUBSCRIBE and PUBLISH over TCP and over TLS: the service carries on and frees the descriptors', async () => {
  await rig.goodPuback()
  await sleep(200)
  const fdsBefore = openFds()
  for (const transport of ['tcp', 'tls'] as const) {
    const n = await resetsAtEveryStage(transport)
    expect(n).toBeGreaterThan(40)
    expect(await rig.goodPuback()).toBeLessThan(1000)
  }
  await sleep(500)
  expect(openFds() - fdsBefore).toBeLessThanOrEqual(5)
  unhandled.check()
}, 120_000)

test('TLS cut before or during the handshake, and plain bytes on the TLS port: each ends that socket only', async () => {
  await sleep(200)
  const fdsBefore = openFds()
  for (const delay of [0, 1, 2, 5, 10, 20]) {
    const s = tlsOver(rig.svc.mqttsPort!)
    s.on('error', () => undefined)
    await new Promise<void>((resolve) => tcpOf.get(s)!.once('connect', () => resolve()))
    await sleep(delay)
    reset(s)
  }
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), connectPacket({ clientId: rig.dev.shelf, username: rig.dev.shelf, password: 'x' }), Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01])]) {
    const s = netConnect({ port: rig.svc.mqttsPort!, host: '127.0.0.1' })
    s.on('error', () => undefined)
    await new Promise<void>((resolve) => s.once('connect', () => resolve()))
    await resetAfter(s, bytes)
  }
  // A TLS client that sends garbage after the handshake is cut off by the broker.
  const s = await open('tls')
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()))
  s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]))
  await within(closed, 5000, 'the garbage TLS client to be closed')
  expect(await rig.goodPuback()).toBeLessThan(1000)
  await sleep(500)
  expect(openFds() - fdsBefore).toBeLessThanOrEqual(5)
  unhandled.check()
}, 60_000)

test('half-closed after part of a CONNECT, and idle without one: the server closes both (connectTimeout)', async () => {
  await sleep(200)
  const fdsBefore = openFds()
  const half = await rawConnect(rig.svc.mqttPort)
  half.socket.write(connectPacket({ clientId: rig.dev.shelf, username: rig.dev.shelf, password: 'x' }).subarray(0, 10))
  half.socket.end()
  await within(half.closed, 3000, 'the half-closed connection to be closed')
  const idle = await Promise.all(Array.from({ length: 20 }, () => rawConnect(rig.svc.mqttPort)))
  const t0 = Date.now()
  await within(Promise.all(idle.map((c) => c.closed)), 15_000, 'the idle connections to be closed')
  // connectTimeout is 10 s.
  expect(Date.now() - t0).toBeGreaterThan(8000)
  expect(await rig.goodPuback()).toBeLessThan(1000)
  await sleep(300)
  expect(openFds() - fdsBefore).toBeLessThanOrEqual(5)
  unhandled.check()
}, 60_000)
