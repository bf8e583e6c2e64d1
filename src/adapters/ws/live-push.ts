import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { z } from 'zod'
import { hashToken, type Accounts, type User } from '../../auth/accounts.ts'
import type { StationStatus } from '../../domain/station-status.ts'
import { tokenOf } from '../http/auth-middleware.ts'

/** A client that lets this much pile up unread is dropped rather than grow our memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
const PING_INTERVAL_MS = 30_000
/** setTimeout's largest delay; a longer session re-arms its expiry timer */
const MAX_TIMER_MS = 2 ** 31 - 1
/** close code for a session that was logged out or expired (1008: policy violation) */
const SESSION_ENDED = 1008

const clientMessage = z.discriminatedUnion('type', [z.object({ type: z.literal('subscribe'), stations: z.array(z.string().max(64)).max(10_000) })])

/** `tokenHash`: the session's token as Accounts stores it, so a logout can find its connections. */
interface Peer {
  ws: WebSocket
  user: User
  tokenHash: string
  expiresAt: number
  expiry?: NodeJS.Timeout
  stations: Set<string> | null
  alive: boolean
  /** its socket while corked for the current task's pushes (see send) */
  corked?: Duplex
}

/** The TCP socket under a `ws` WebSocket (an internal of the library; absent before it opens). */
function socketOf(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex })._socket
}

export interface LivePushSource<A extends { station: string }> {
  statuses(): StationStatus[]
  /** active and acknowledged alerts, newest first */
  openAlerts(): A[]
}

export interface LivePushStats { onClients(n: number): void; onDropped(reason: 'slow' | 'unresponsive'): void }

/** `/ws`: a snapshot on connect, then `station` and `alert` messages as they happen. */
export class LivePush<A extends { station: string }> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
  private readonly peers = new Set<Peer>()
  private readonly pinger: NodeJS.Timeout
  /** peers whose socket is corked until the current turn's pushes are all queued */
  private readonly corked: Peer[] = []

  constructor(
    private readonly accounts: Accounts,
    private readonly source: LivePushSource<A>,
    private readonly stats: LivePushStats,
    private readonly log: Logger,
  ) {
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS).unref()
  }

  /** Authenticates before upgrading: without a valid token the answer is a plain 401. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const token = tokenOf(req, true)
    const session = token ? this.accounts.session(token) : undefined
    if (!token || !session) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"UNAUTHENTICATED","message":"login required"}}')
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, session.user, hashToken(token), session.expiresAt))
  }

  /** The session of `token` was logged out: its connections are closed now. */
  revoke(token: string): void {
    const tokenHash = hashToken(token)
    for (const p of this.peers) if (p.tokenHash === tokenHash) this.endSession(p, 'session ended')
  }

  pushStation(status: StationStatus): void {
    this.broadcast(status.id, () => JSON.stringify({ type: 'station', station: status }))
  }

  pushAlert(alert: A): void {
    this.broadcast(alert.station, () => JSON.stringify({ type: 'alert', alert }))
  }

  get clientCount(): number {
    return this.peers.size
  }

  close(): void {
    clearInterval(this.pinger)
    for (const p of this.peers) {
      clearTimeout(p.expiry)
      p.ws.close(1001, 'server shutting down')
    }
    this.wss.close()
  }

  private accept(ws: WebSocket, user: User, tokenHash: string, expiresAt: number): void {
    const peer: Peer = { ws, user, tokenHash, expiresAt, stations: null, alive: true }
    this.peers.add(peer)
    this.stats.onClients(this.peers.size)
    this.armExpiry(peer)
    ws.on('pong', () => (peer.alive = true))
    ws.on('close', () => {
      clearTimeout(peer.expiry)
      this.peers.delete(peer)
      this.stats.onClients(this.peers.size)
    })
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'ws client error'))
    ws.on('message', (data, isBinary) => this.onMessage(peer, isBinary ? null : data.toString()))
    this.send(peer, JSON.stringify({ type: 'snapshot', stations: this.source.statuses(), alerts: this.source.openAlerts() }))
  }

  /** A connection lives no longer than its session's token. */
  private armExpiry(peer: Peer): void {
    const left = peer.expiresAt - Date.now()
    if (left <= 0) return this.endSession(peer, 'session expired')
    peer.expiry = setTimeout(() => this.armExpiry(peer), Math.min(left, MAX_TIMER_MS))
    peer.expiry.unref()
  }

  private endSession(peer: Peer, reason: string): void {
    clearTimeout(peer.expiry)
    // Out of the push set at once; the close handshake may take a while.
    if (this.peers.delete(peer)) this.stats.onClients(this.peers.size)
    peer.ws.close(SESSION_ENDED, reason)
  }

  private onMessage(peer: Peer, text: string | null): void {
    let parsed: unknown
    try {
      parsed = text === null ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    const r = clientMessage.safeParse(parsed)
    if (!r.success) {
      const issue = r.error.issues[0]
      const message = text === null || parsed === undefined ? 'message must be JSON text' : `${issue?.path.join('.') || 'message'}: ${issue?.message}`
      this.send(peer, JSON.stringify({ type: 'error', error: { code: 'BAD_REQUEST', message } }))
      return
    }
    peer.stations = new Set(r.data.stations)
  }

  private broadcast(station: string, frame: () => string): void {
    let text: string | undefined
    for (const p of this.peers) {
      if (p.stations && !p.stations.has(station)) continue
      this.send(p, (text ??= frame()))
    }
  }

  private send(peer: Peer, text: string): void {
    if (peer.ws.readyState !== WebSocket.OPEN) return
    if (peer.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn({ user: peer.user.name, buffered: peer.ws.bufferedAmount }, 'dropping slow /ws client')
      this.stats.onDropped('slow')
      this.peers.delete(peer)
      peer.ws.terminate()
      return
    }
    // The statuses of one turn (and the alerts of one burst of readings) leave in one write per
    // client rather than one each: the socket stays corked until the current task is over.
    if (!peer.corked) {
      const socket = socketOf(peer.ws)
      if (socket) {
        socket.cork()
        peer.corked = socket
        if (this.corked.push(peer) === 1) queueMicrotask(() => this.uncork())
      }
    }
    peer.ws.send(text)
  }

  private uncork(): void {
    for (const p of this.corked.splice(0)) {
      const socket = p.corked
      p.corked = undefined
      socket?.uncork()
    }
  }

  private ping(): void {
    for (const p of this.peers) {
      if (!p.alive) {
        this.stats.onDropped('unresponsive')
        this.peers.delete(p)
        p.ws.terminate()
        continue
      }
      p.alive = false
      p.ws.ping()
    }
  }
}
