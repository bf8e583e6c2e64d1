// MQTT 3.1.1 packets as raw bytes, so the hostile tests can send what no well-behaved client
// library would. The codec is the benchmarks' (bench/lib/mqtt-wire.ts, written from the
// specification: §2.2 fixed header, §3.1 CONNECT, §3.3 PUBLISH, §3.8 SUBSCRIBE); this file adds
// the raw connection that records what comes back.
import { connect, type Socket } from 'node:net'
import { encodeConnect, encodeLength, encodePublish, encodeSubscribe } from '../../bench/lib/mqtt-wire.ts'

export { encodeLength, PINGREQ } from '../../bench/lib/mqtt-wire.ts'

export function packet(typeAndFlags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([typeAndFlags]), encodeLength(body.length), body])
}

/** A CONNECT (clean session unless `clean: false`); a will is sent with QoS 1, retained, as devices send theirs. */
export function connectPacket(o: { clientId: string; username?: string; password?: string; will?: { topic: string; payload: Buffer }; keepalive?: number; clean?: boolean }): Buffer {
  const { will, clean, ...rest } = o
  const base = { ...rest, ...(clean === false ? { cleanSession: false } : {}) }
  return encodeConnect(will ? { ...base, will: { ...will, qos: 1, retain: true } } : base)
}

export function publishPacket(o: { topic: string; payload: Buffer; qos?: 0 | 1; id?: number }): Buffer {
  return encodePublish(Buffer.from(o.topic, 'utf8'), o.payload, o.qos ?? 0, o.id ?? 1)
}

/** Just the fixed header of a PUBLISH that declares `remainingLength` bytes to follow. */
export function publishHeader(remainingLength: number, qos: 0 | 1 = 1): Buffer {
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), encodeLength(remainingLength)])
}

export function subscribePacket(topic: string, qos: 0 | 1 = 0, id = 1): Buffer {
  return encodeSubscribe(id, topic, qos)
}

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
