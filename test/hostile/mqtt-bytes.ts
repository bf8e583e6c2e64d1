// MQTT 3.1.1 packets as raw bytes, written from the specification (§2.2 fixed header, §3.1
// CONNECT, §3.3 PUBLISH), so the hostile tests can send what no well-behaved client library would.
import { connect, type Socket } from 'node:net'

/** The variable-length Remaining Length [MQTT-2.2.3]. */
export function encodeLength(n: number): Buffer {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}

function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
  const len = Buffer.alloc(2)
  len.writeUInt16BE(b.length)
  return Buffer.concat([len, b])
}

export function packet(typeAndFlags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([typeAndFlags]), encodeLength(body.length), body])
}

export function connectPacket(o: { clientId: string; username?: string; password?: string; will?: { topic: string; payload: Buffer }; keepalive?: number; clean?: boolean }): Buffer {
  let flags = o.clean === false ? 0 : 0x02 // clean session
  if (o.will) flags |= 0x04 | 0x08 | 0x20 // will, QoS 1, retained
  if (o.username !== undefined) flags |= 0x80
  if (o.password !== undefined) flags |= 0x40
  const keepalive = Buffer.alloc(2)
  keepalive.writeUInt16BE(o.keepalive ?? 60)
  const parts = [str('MQTT'), Buffer.from([4, flags]), keepalive, str(o.clientId)]
  if (o.will) parts.push(str(o.will.topic), str(o.will.payload))
  if (o.username !== undefined) parts.push(str(o.username))
  if (o.password !== undefined) parts.push(str(o.password))
  return packet(0x10, Buffer.concat(parts))
}

export function publishPacket(o: { topic: string; payload: Buffer; qos?: 0 | 1; id?: number }): Buffer {
  const qos = o.qos ?? 0
  const parts = [str(o.topic)]
  if (qos > 0) {
    const id = Buffer.alloc(2)
    id.writeUInt16BE(o.id ?? 1)
    parts.push(id)
  }
  parts.push(o.payload)
  return packet(0x30 | (qos << 1), Buffer.concat(parts))
}

/** Just the fixed header of a PUBLISH that declares `remainingLength` bytes to follow. */
export function publishHeader(remainingLength: number, qos: 0 | 1 = 1): Buffer {
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), encodeLength(remainingLength)])
}

export function subscribePacket(topic: string, qos: 0 | 1 = 0, id = 1): Buffer {
  const pid = Buffer.alloc(2)
  pid.writeUInt16BE(id)
  return packet(0x82, Buffer.concat([pid, str(topic), Buffer.from([qos])]))
}

export const PINGREQ = Buffer.from([0xc0, 0x00])

/** A raw TCP connection that records what it receives and when it closed. */
export interface RawClient {
  socket: Socket
  received: Buffer[]
  closed: Promise<number>
  /** resolves with the CONNACK return code */
  connack(): Promise<number>
  isClosed(): boolean
}

export async function rawConnect(port: number, host = '127.0.0.1'): Promise<RawClient> {
  const socket = connect({ port, host })
  await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('error', reject)))
  const received: Buffer[] = []
  let closedAt = 0
  socket.on('error', () => undefined)
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve((closedAt = Date.now()))))
  const waiters: (() => void)[] = []
  socket.on('data', (d) => {
    received.push(d)
    for (const w of waiters.splice(0)) w()
  })
  return {
    socket,
    received,
    closed,
    isClosed: () => closedAt > 0,
    connack: () =>
      new Promise<number>((resolve, reject) => {
        const check = () => {
          const all = Buffer.concat(received)
          if (all.length >= 4 && all[0] === 0x20) return resolve(all[3]!)
          if (closedAt) return reject(new Error('closed before CONNACK'))
          waiters.push(check)
        }
        void closed.then(() => waiters.length && check())
        check()
      }),
  }
}
