/**
 * A minimal MQTT 3.1.1 client codec for the load generators: CONNECT (with will), PUBLISH
 * QoS 0/1, PUBACK, SUBSCRIBE, PINGREQ, DISCONNECT out; CONNACK, PUBLISH, PUBACK, SUBACK,
 * PINGRESP in. A benchmark's generator shares two cores with the service, so it must cost
 * little per message: packets are encoded straight into Buffers, with no per-message objects
 * beyond the payload. mqtt.js is the reference client elsewhere (tests, simulator); the hostile
 * tests build their hand-made packets from this codec too (test/hostile/mqtt-bytes.ts).
 */
import { connect, type Socket } from 'node:net'

/** The variable-length Remaining Length [MQTT-2.2.3]. */
export function encodeLength(n: number): Buffer {
  return Buffer.from(remainingLength(n))
}

function remainingLength(n: number): number[] {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}

function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
  const out = Buffer.allocUnsafe(2 + b.length)
  out.writeUInt16BE(b.length, 0)
  b.copy(out, 2)
  return out
}

export interface ConnectOptions {
  clientId: string
  username?: string
  password?: string
  keepalive?: number
  cleanSession?: boolean
  will?: { topic: string; payload: Buffer | string; qos: 0 | 1; retain: boolean }
}

export function encodeConnect(o: ConnectOptions): Buffer {
  let flags = o.cleanSession === false ? 0 : 0x02
  const parts: Buffer[] = [str(o.clientId)]
  if (o.will) {
    flags |= 0x04 | (o.will.qos << 3) | (o.will.retain ? 0x20 : 0)
    parts.push(str(o.will.topic), str(typeof o.will.payload === 'string' ? Buffer.from(o.will.payload) : o.will.payload))
  }
  if (o.username !== undefined) (flags |= 0x80), parts.push(str(o.username))
  if (o.password !== undefined) (flags |= 0x40), parts.push(str(o.password))
  const ka = o.keepalive ?? 60
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, ka >> 8, ka & 0xff])
  const body = Buffer.concat([header, ...parts])
  return Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body])
}

/** PUBLISH; `id` is the packet id for QoS 1 (1-65535). */
export function encodePublish(topic: Buffer, payload: Buffer, qos: 0 | 1, id: number, retain = false): Buffer {
  const len = 2 + topic.length + (qos ? 2 : 0) + payload.length
  const rl = remainingLength(len)
  const out = Buffer.allocUnsafe(1 + rl.length + len)
  let o = 0
  out[o++] = 0x30 | (qos << 1) | (retain ? 1 : 0)
  for (const b of rl) out[o++] = b
  out.writeUInt16BE(topic.length, o)
  o += 2
  topic.copy(out, o)
  o += topic.length
  if (qos) {
    out.writeUInt16BE(id, o)
    o += 2
  }
  payload.copy(out, o)
  return out
}

export function encodePuback(id: number): Buffer {
  return Buffer.from([0x40, 2, id >> 8, id & 0xff])
}

export function encodeSubscribe(id: number, topic: string, qos: 0 | 1): Buffer {
  const t = str(topic)
  const len = 2 + t.length + 1
  return Buffer.concat([Buffer.from([0x82, ...remainingLength(len), id >> 8, id & 0xff]), t, Buffer.from([qos])])
}

export const PINGREQ = Buffer.from([0xc0, 0])
export const DISCONNECT = Buffer.from([0xe0, 0])

export interface WireHandlers {
  connack?(returnCode: number): void
  puback?(id: number): void
  suback?(id: number, granted: number[]): void
  /** an incoming PUBLISH; for QoS 1 the client acknowledges it itself */
  publish?(topic: string, payload: Buffer, qos: number, id: number): void
  pingresp?(): void
}

/** Splits a byte stream into MQTT packets and calls the handlers. */
export class PacketReader {
  private buf: Buffer = Buffer.alloc(0)

  constructor(private readonly h: WireHandlers) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
    let o = 0
    const b = this.buf
    for (;;) {
      if (b.length - o < 2) break
      let len = 0
      let mul = 1
      let i = o + 1
      let complete = false
      for (; i < b.length && i < o + 5; i++) {
        len += (b[i]! & 0x7f) * mul
        mul *= 128
        if ((b[i]! & 0x80) === 0) {
          complete = true
          i++
          break
        }
      }
      if (!complete || b.length - i < len) break
      this.packet(b[o]!, b, i, len)
      o = i + len
    }
    this.buf = o === b.length ? Buffer.alloc(0) : b.subarray(o)
  }

  private packet(first: number, b: Buffer, start: number, len: number): void {
    switch (first >> 4) {
      case 2:
        this.h.connack?.(b[start + 1]!)
        return
      case 4:
        this.h.puback?.(b.readUInt16BE(start))
        return
      case 9:
        this.h.suback?.(b.readUInt16BE(start), [...b.subarray(start + 2, start + len)])
        return
      case 13:
        this.h.pingresp?.()
        return
      case 3: {
        const qos = (first >> 1) & 3
        const tl = b.readUInt16BE(start)
        const topic = b.toString('utf8', start + 2, start + 2 + tl)
        let p = start + 2 + tl
        let id = 0
        if (qos) {
          id = b.readUInt16BE(p)
          p += 2
        }
        this.h.publish?.(topic, b.subarray(p, start + len), qos, id)
        return
      }
      default:
        return
    }
  }
}

/** One raw MQTT connection; resolves once CONNACK accepted it. */
export function openConnection(host: string, port: number, o: ConnectOptions, h: WireHandlers, timeoutMs = 15_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true })
    let settled = false
    const timer = setTimeout(() => fail(new Error(`CONNECT ${o.clientId}: no CONNACK within ${timeoutMs} ms`)), timeoutMs)
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(err)
    }
    const reader = new PacketReader({
      ...h,
      connack: (rc) => {
        if (settled) return
        if (rc !== 0) return fail(new Error(`CONNECT ${o.clientId} refused: return code ${rc}`))
        settled = true
        clearTimeout(timer)
        resolve(socket)
      },
    })
    socket.on('data', (c: Buffer) => reader.push(c))
    socket.on('error', (err) => fail(err))
    socket.on('close', () => fail(new Error(`CONNECT ${o.clientId}: connection closed`)))
    socket.write(encodeConnect(o))
  })
}
