import type { Server } from 'node:net'
import { Duplex } from 'node:stream'
import { Server as TlsServer } from 'node:tls'

/**
 * aedes (1.2) has no maximum packet size: its parser keeps every byte of a packet until the
 * packet is complete, so one PUBLISH that declares 200 MB and dribbles its bytes holds that much
 * of our memory. This guard sits between the connection (TCP socket or the `/mqtt` WebSocket
 * stream) and aedes. It reads only the fixed header of each packet — the type byte and the
 * Remaining Length, a variable-length integer of 1–4 bytes that may be split across chunks
 * [MQTT-2.2.3] — skips the body without copying it, and destroys the connection as soon as a
 * packet declares a Remaining Length over the limit, before the body is buffered.
 */

/** MQTT's largest encodable Remaining Length (four bytes of seven bits) [MQTT-2.2.3]. */
export const MQTT_MAX_REMAINING_LENGTH = 268_435_455

export type GuardVerdict = { ok: true } | { ok: false; reason: 'too-large' | 'malformed'; packetType: number; declared: number }

/**
 * A streaming reader of MQTT fixed headers. Feed it every chunk in order; it keeps three
 * numbers of state between chunks and never holds on to a chunk.
 */
export class FixedHeaderReader {
  /** bytes of the current packet's body still to skip */
  private remaining = 0
  /** 0 = expecting a type byte, 1..4 = reading that byte of the Remaining Length */
  private lengthByte = 0
  private length = 0
  private multiplier = 1
  private type = 0

  constructor(private readonly maxRemainingLength: number) {}

  /** true while a packet's header or body is incomplete */
  get midPacket(): boolean {
    return this.lengthByte > 0 || this.remaining > 0
  }

  feed(chunk: Uint8Array): GuardVerdict {
    const n = chunk.length
    let i = 0
    while (i < n) {
      if (this.remaining > 0) {
        // The body: skip it whole or to the end of this chunk.
        const skip = Math.min(this.remaining, n - i)
        this.remaining -= skip
        i += skip
        continue
      }
      const byte = chunk[i++]!
      if (this.lengthByte === 0) {
        this.type = byte >> 4
        this.lengthByte = 1
        this.length = 0
        this.multiplier = 1
        continue
      }
      this.length += (byte & 0x7f) * this.multiplier
      // Every further byte only adds: refuse as soon as the value so far is over the limit,
      // so a header dribbled one byte at a time is refused at its first telling byte.
      if (this.length > this.maxRemainingLength) return { ok: false, reason: 'too-large', packetType: this.type, declared: this.length }
      if (byte & 0x80) {
        if (this.lengthByte === 4) return { ok: false, reason: 'malformed', packetType: this.type, declared: this.length }
        this.lengthByte++
        this.multiplier *= 128
        continue
      }
      this.lengthByte = 0
      this.remaining = this.length
    }
    return { ok: true }
  }
}

export interface RefusedPacket {
  /** 'tcp' or 'ws' (MQTT over WebSocket), as given to `guardMqttConnection` */
  transport: string
  reason: 'too-large' | 'malformed'
  /** the MQTT control packet type (1 CONNECT, 3 PUBLISH, …) */
  packetType: number
  /** the Remaining Length declared so far (a lower bound when the header was cut short) */
  declared: number
  limit: number
  /** the client id and username of the connection's CONNECT, when it came before the refusal */
  clientId?: string
  username?: string
  remoteAddress?: string
}

export interface PacketSizeGuardOptions {
  /** the largest Remaining Length accepted, in bytes */
  maxPacketBytes: number
  transport: string
  remoteAddress?: string
  onRefused(info: RefusedPacket): void
}

/** how many leading bytes of a connection are kept to name its client in the log (the CONNECT) */
const CONNECT_PREFIX_BYTES = 512

/**
 * The connection as aedes should see it: a Duplex that passes writes straight through and
 * passes reads on only after the fixed-header reader has seen them. Backpressure is kept
 * both ways (a full aedes pauses the connection; a full connection makes our writes wait).
 */
export class GuardedConnection extends Duplex {
  private readonly reader: FixedHeaderReader
  /** the connection's first bytes until its first packet (the CONNECT) is complete */
  private prefix: Buffer | undefined = Buffer.alloc(0)
  /** who the CONNECT claimed to be, read from `prefix` */
  private identity: { clientId?: string; username?: string } = {}
  private innerEnded = false
  /** the client's address, for the per-address bounds of refusals */
  readonly remoteAddress: string | undefined

  constructor(
    private readonly inner: Duplex,
    private readonly opts: PacketSizeGuardOptions,
  ) {
    super({ allowHalfOpen: false })
    this.remoteAddress = opts.remoteAddress
    this.reader = new FixedHeaderReader(opts.maxPacketBytes)
    inner.on('data', (chunk: Buffer) => this.onData(chunk))
    inner.on('end', () => {
      this.innerEnded = true
      this.push(null)
    })
    inner.on('error', (err) => this.destroy(err))
    // A connection cut without an end (reset, destroyed by ws) ends us too; after a clean end
    // aedes closes us itself once it has read everything.
    inner.on('close', () => {
      if (!this.innerEnded) this.destroy()
    })
  }

  private onData(chunk: Buffer): void {
    if (this.destroyed) return
    if (this.prefix && this.prefix.length < CONNECT_PREFIX_BYTES) this.prefix = Buffer.concat([this.prefix, chunk.subarray(0, CONNECT_PREFIX_BYTES - this.prefix.length)])
    const verdict = this.reader.feed(chunk)
    if (!verdict.ok) {
      const who = this.prefix ? readConnectIdentity(this.prefix) : this.identity
      this.prefix = undefined
      this.opts.onRefused({
        transport: this.opts.transport,
        reason: verdict.reason,
        packetType: verdict.packetType,
        declared: verdict.declared,
        limit: this.opts.maxPacketBytes,
        ...who,
        ...(this.opts.remoteAddress ? { remoteAddress: this.opts.remoteAddress } : {}),
      })
      const err = new Error(verdict.reason === 'too-large' ? `packet too large: declares ${verdict.declared} bytes (limit ${this.opts.maxPacketBytes})` : 'malformed packet length')
      this.inner.destroy()
      this.destroy(err)
      return
    }
    if (this.prefix && (this.prefix.length >= CONNECT_PREFIX_BYTES || !this.reader.midPacket)) {
      this.identity = readConnectIdentity(this.prefix)
      this.prefix = undefined
    }
    if (!this.push(chunk)) this.inner.pause()
  }

  override _read(): void {
    this.inner.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.inner.write(chunk)) cb()
    else this.inner.once('drain', () => cb())
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    // mqtt-packet corks us for the rest of the tick and writes each packet in parts (a PUBACK is
    // three writes of one or two bytes), so a group commit's PUBACKs to one device arrive here
    // together. Joined, they go through the socket's stream as one write instead of one per part
    // (and over /mqtt as one WebSocket frame, which MQTT allows to carry several packets).
    if (this.inner.write(chunks.length === 1 ? chunks[0]!.chunk : joined(chunks))) cb()
    else this.inner.once('drain', () => cb())
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inner.destroy()
    cb(err)
  }
}

function joined(chunks: { chunk: Buffer }[]): Buffer {
  let size = 0
  for (const c of chunks) size += c.chunk.length
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const c of chunks) {
    out.set(c.chunk, at)
    at += c.chunk.length
  }
  return out
}

/** Wraps one connection for aedes. */
export function guardMqttConnection(inner: Duplex, opts: PacketSizeGuardOptions): GuardedConnection {
  return new GuardedConnection(inner, opts)
}

/**
 * Re-routes the connections of a server made by `net.createServer(aedes.handle)` (or
 * `tls.createServer(options, aedes.handle)`) through the guard: the server's own connection
 * listener is replaced by one that wraps each socket first.
 */
export function guardMqttServer(server: Server, handle: (conn: Duplex) => unknown, opts: Omit<PacketSizeGuardOptions, 'remoteAddress' | 'transport'> & { transport?: string }): void {
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection'
  const transport = opts.transport ?? (server instanceof TlsServer ? 'tls' : 'tcp')
  server.removeAllListeners(event)
  server.on(event, (socket: Duplex & { remoteAddress?: string }) => {
    handle(guardMqttConnection(socket, { ...opts, transport, ...(socket.remoteAddress ? { remoteAddress: socket.remoteAddress } : {}) }))
  })
}

/**
 * The client id and username of a CONNECT at the start of `buf`, as far as `buf` holds them
 * (they are claims, not yet checked: for the log only).
 */
export function readConnectIdentity(buf: Buffer): { clientId?: string; username?: string } {
  try {
    if (buf.length < 2 || buf[0]! >> 4 !== 1) return {}
    let i = 1
    while (i < 5 && i < buf.length && buf[i]! & 0x80) i++
    i++ // past the last Remaining Length byte
    const str = (): string | undefined => {
      if (i + 2 > buf.length) return undefined
      const len = buf.readUInt16BE(i)
      if (i + 2 + len > buf.length) return undefined
      const s = buf.toString('utf8', i + 2, i + 2 + len)
      i += 2 + len
      return s
    }
    if (str() === undefined) return {} // protocol name
    if (i + 4 > buf.length) return {}
    const flags = buf[i + 1]!
    i += 4 // level, flags, keep-alive
    const clientId = str()
    if (clientId === undefined) return {}
    const out: { clientId?: string; username?: string } = { clientId: clientId.slice(0, 128) }
    if (flags & 0x04) {
      // will topic and will message
      if (str() === undefined || str() === undefined) return out
    }
    if (flags & 0x80) {
      const username = str()
      if (username !== undefined) out.username = username.slice(0, 128)
    }
    return out
  } catch {
    return {}
  }
}
