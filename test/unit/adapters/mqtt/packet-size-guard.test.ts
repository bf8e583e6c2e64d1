// The broker-side packet size guard (src/adapters/mqtt/packet-size-guard.ts): its fixed-header
// reader under arbitrary chunking, the CONNECT identity it logs, and what it costs in messages/s.
import { Aedes } from 'aedes'
import fc from 'fast-check'
import mqtt from 'mqtt'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FixedHeaderReader, guardMqttServer, MQTT_MAX_REMAINING_LENGTH, readConnectIdentity, type RefusedPacket } from '../../../../src/adapters/mqtt/packet-size-guard.ts'
import { watchUnhandled } from '../../../hostile/hostile-helpers.ts'
import { connectPacket, encodeLength, publishHeader, rawConnect } from '../../../hostile/mqtt-bytes.ts'

const LIMIT = 65_536
const unhandled = watchUnhandled()
afterAll(() => {
  unhandled.uninstall()
  unhandled.check()
})

const packetArb = fc.record({
  type: fc.integer({ min: 1, max: 14 }),
  flags: fc.integer({ min: 0, max: 15 }),
  length: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constantFrom(0, 127, 128, 16_383, 16_384, LIMIT - 1, LIMIT)),
})

function bytesOf(packets: { type: number; flags: number; length: number }[]): { bytes: Buffer; starts: number[] } {
  const parts: Buffer[] = []
  const starts: number[] = []
  let at = 0
  for (const p of packets) {
    const header = Buffer.concat([Buffer.from([(p.type << 4) | p.flags]), encodeLength(p.length)])
    starts.push(at)
    parts.push(header, Buffer.alloc(p.length, 0xa5))
    at += header.length + p.length
  }
  return { bytes: Buffer.concat(parts), starts }
}

/** Splits `bytes` at the given cut points (any values; clamped, sorted, deduplicated). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(bytes.length, Math.max(0, c))))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p))
    from = Math.max(from, p)
  }
  return out
}

describe('the fixed-header reader', () => {
  test('never refuses a stream of packets within the limit, however it is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 40 }), (packets, cuts) => {
        const { bytes } = bytesOf(packets)
        const cutsIn = cuts.map((c) => (bytes.length ? c % (bytes.length + 1) : 0))
        const reader = new FixedHeaderReader(LIMIT)
        for (const chunk of chunked(bytes, cutsIn)) expect(reader.feed(chunk)).toEqual({ ok: true })
        expect(reader.midPacket).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  test('refuses a packet over the limit at the chunk that holds its telling length byte, whatever came before and however it is cut', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { maxLength: 10 }),
        fc.integer({ min: LIMIT + 1, max: MQTT_MAX_REMAINING_LENGTH }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (before, oversize, cuts) => {
          const { bytes: good } = bytesOf(before)
          const header = publishHeader(oversize)
          // A few body bytes after the header: the guard must not wait for them.
          const bytes = Buffer.concat([good, header, Buffer.alloc(100, 0x41)])
          const cutsIn = cuts.map((c) => c % (bytes.length + 1))
          const reader = new FixedHeaderReader(LIMIT)
          let fed = 0
          let verdict: ReturnType<FixedHeaderReader['feed']> = { ok: true }
          for (const chunk of chunked(bytes, cutsIn)) {
            verdict = reader.feed(chunk)
            if (!verdict.ok) break
            fed += chunk.length
          }
          expect(verdict).toMatchObject({ ok: false, reason: 'too-large', packetType: 3 })
          if (!verdict.ok) expect(verdict.declared).toBeGreaterThan(LIMIT)
          // Everything fed before the refusing chunk ends before the header's last byte.
          expect(fed).toBeLessThan(good.length + header.length)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('accepts a Remaining Length equal to the limit and refuses one byte more', () => {
    expect(new FixedHeaderReader(LIMIT).feed(publishHeader(LIMIT))).toEqual({ ok: true })
    expect(new FixedHeaderReader(LIMIT).feed(publishHeader(LIMIT + 1))).toMatchObject({ ok: false, reason: 'too-large', declared: LIMIT + 1 })
  })

  test('refuses a header dribbled one byte at a time as soon as the value so far is over the limit', () => {
    const reader = new FixedHeaderReader(LIMIT)
    const header = publishHeader(10 * 1024 * 1024) // 4 length bytes
    const verdicts = [...header].map((b) => reader.feed(Buffer.from([b])))
    const first = verdicts.findIndex((v) => !v.ok)
    // 10 MB = 0x80 0x80 0x80 0x05: the value passes 65,536 only with the fourth length byte.
    expect(first).toBe(4)
  })

  test('refuses a Remaining Length longer than four bytes as malformed', () => {
    const reader = new FixedHeaderReader(MQTT_MAX_REMAINING_LENGTH)
    expect(reader.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatchObject({ ok: false, reason: 'malformed' })
  })
})

describe('the CONNECT identity in the log', () => {
  test('reads the client id and username of any CONNECT, with or without a will, and never throws on garbage', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        fc.option(fc.record({ topic: fc.string({ maxLength: 40 }), payload: fc.uint8Array({ maxLength: 40 }) }), { nil: undefined }),
        (clientId, username, will) => {
          const p = connectPacket({ clientId, ...(username !== undefined ? { username, password: 'x' } : {}), ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload) } } : {}) })
          const id = readConnectIdentity(p)
          expect(id.clientId).toBe(clientId)
          expect(id.username).toBe(username)
        },
      ),
      { numRuns: 200 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        readConnectIdentity(Buffer.from(bytes))
      }),
      { numRuns: 300 },
    )
  })
})

describe('on a real broker', () => {
  let broker: Aedes
  let plain: Server
  let guarded: Server
  const refused: RefusedPacket[] = []
  const portOf = (s: Server) => (s.address() as AddressInfo).port

  beforeAll(async () => {
    broker = await Aedes.createBroker()
    plain = createServer(broker.handle)
    guarded = createServer(broker.handle)
    guardMqttServer(guarded, broker.handle, { maxPacketBytes: LIMIT, onRefused: (r) => refused.push(r) })
    await Promise.all([plain, guarded].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))))
  })
  afterAll(async () => {
    plain?.close()
    guarded?.close()
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()))
  })

  test('a packet over the limit closes the connection and names the client; one at the limit is delivered', async () => {
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(guarded)}`, { protocolVersion: 4, reconnectPeriod: 0 })
    await sub.subscribeAsync('big/#', { qos: 0 })
    const got = new Promise<Buffer>((resolve) => sub.once('message', (_t, p) => resolve(p)))
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(guarded)}`, { protocolVersion: 4, reconnectPeriod: 0 })
    // Remaining Length = 2 + topic + payload = exactly the limit.
    const topic = 'big/one'
    await pub.publishAsync(topic, Buffer.alloc(LIMIT - 2 - topic.length, 0x61), { qos: 0 })
    expect((await got).length).toBe(LIMIT - 2 - topic.length)

    const raw = await rawConnect(portOf(guarded))
    raw.socket.write(connectPacket({ clientId: 'raw-1', username: 'someone', password: 'pw' }))
    expect(await raw.connack()).toBe(0)
    const t0 = Date.now()
    raw.socket.write(publishHeader(10 * 1024 * 1024))
    const closedAt = await raw.closed
    expect(closedAt - t0).toBeLessThan(1000)
    expect(refused).toEqual([expect.objectContaining({ transport: 'tcp', reason: 'too-large', packetType: 3, declared: 10 * 1024 * 1024, limit: LIMIT, clientId: 'raw-1', username: 'someone' })])
    // The broker and its other clients carry on.
    const again = new Promise<Buffer>((resolve) => sub.once('message', (_t, p) => resolve(p)))
    await pub.publishAsync('big/two', 'still here', { qos: 0 })
    expect((await again).toString()).toBe('still here')
    await Promise.all([sub.endAsync(), pub.endAsync()])
  })

  // Its cost is measured in bench/ (timed comparisons are benchmarks, not tests).
})
