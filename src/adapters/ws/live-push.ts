import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { z } from 'zod'
import { hashToken, type User } from '../../auth/accounts.ts'
import type { Principals } from '../../auth/principals.ts'
import { scopeOf, type StationScope } from '../../auth/station-scope.ts'
import type { StationStatus } from '../../domain/station-status.ts'
import { addressKey } from '../../auth/login-throttle.ts'
import { credentialOf } from '../../edge/credentials.ts'
import { isForeignOrigin } from '../../edge/origin.ts'
import { refuseUpgrade } from '../../edge/upgrade-refusal.ts'

/** A client that lets this much pile up unread is dropped rather than grow our memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
const PING_INTERVAL_MS = 30_000
/** setTimeout's largest delay; a longer session re-arms its expiry timer */
const MAX_TIMER_MS = 2 ** 31 - 1
/** close code for a session that was logged out or expired (1008: policy violation) */
const SESSION_ENDED = 1008

const clientMessage = z.discriminatedUnion('type', [z.object({ type: z.literal('subscribe'), stations: z.array(z.string().max(64)).max(10_000) })])

/**
 * `tokenHash`: the session's (or display token's) token as it is stored, so a logout or a revocation
 * can find its connections. `scope`: the stations its principal may see (null: all), fixed for the
 * connection's life — a change of scope closes the connection (see endUser).
 */
interface Peer {
  ws: WebSocket
  user: User
  scope: StationScope
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

export type LivePushRefusal = 'unauthenticated' | 'origin' | 'per-session' | 'per-address'

export interface LivePushStats {
  onClients(n: number): void
  onDropped(reason: 'slow' | 'unresponsive'): void
  onRefused?(reason: LivePushRefusal): void
}

/** Contract v2 A4: open `/ws` connections allowed per login session and per client address. */
export interface LivePushLimits {
  perSession: number
  perAddress: number
  /** the port serves HTTPS (the scheme of the service's own origin) */
  https: boolean
}

export const DEFAULT_LIVE_PUSH_LIMITS: LivePushLimits = { perSession: 20, perAddress: 100, https: false }

export interface LivePushOptions<A extends { station: string }> {
  /** turns the upgrade's token (session or display token) into who is asking */
  principals: Pick<Principals, 'resolve'>
  /** what a new client's snapshot is made of */
  source: LivePushSource<A>
  stats: LivePushStats
  log: Logger
  limits?: LivePushLimits
}

/** `/ws`: a snapshot on connect, then `station` and `alert` messages as they happen. */
export class LivePush<A extends { station: string }> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
  private readonly peers = new Set<Peer>()
  private readonly pinger: NodeJS.Timeout
  /** peers whose socket is corked until the current turn's pushes are all queued */
  private readonly corked: Peer[] = []
  /** open (and opening) connections per session token hash and per client address */
  private readonly perSession = new Map<string, number>()
  private readonly perAddress = new Map<string, number>()
  /** upgrades per address whose session is being looked up */
  private readonly lookingUp = new Map<string, number>()
  /** keys whose cap was already reported in the log; forgotten when the key drops below its cap */
  private readonly capLogged = new Set<string>()
  /** upgrades whose session lookup is still out; a logout meanwhile marks them revoked */
  private readonly authenticating = new Set<{ tokenHash: string; revoked: boolean }>()

  readonly name = 'live-push'
  private readonly principals: Pick<Principals, 'resolve'>
  private readonly source: LivePushSource<A>
  private readonly stats: LivePushStats
  private readonly log: Logger
  private readonly limits: LivePushLimits

  constructor(opts: LivePushOptions<A>) {
    this.principals = opts.principals
    this.source = opts.source
    this.stats = opts.stats
    this.log = opts.log
    this.limits = opts.limits ?? DEFAULT_LIVE_PUSH_LIMITS
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS).unref()
  }

  /**
   * Authenticates and admits before upgrading; a refusal is a plain HTTP answer (401, 403 for a
   * foreign Origin on a cookie, 429 over a cap) and the connection is closed at once.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const credential = credentialOf(req, true)
    if (!credential) return this.refuse(socket, 'unauthenticated', 401, 'UNAUTHENTICATED', 'login required')
    // The address cap counts upgrades still being looked up too, and is checked before the lookup:
    // a flood of upgrades with made-up tokens costs the state store (across the network in
    // cluster mode) at most the cap's number of lookups at a time per address.
    const address = addressKey(req.socket.remoteAddress)
    if ((this.perAddress.get(address) ?? 0) + (this.lookingUp.get(address) ?? 0) >= this.limits.perAddress) return this.refuseOverCap(socket, 'per-address', `a:${address}`, { address, limit: this.limits.perAddress })
    bump(this.lookingUp, address, 1)
    const tokenHash = hashToken(credential.token)
    // The session is looked up in the state store (a Promise). A logout landing while the lookup
    // is out must still end this connection: the wait is registered, revoke() marks it, and a
    // marked wait is refused instead of accepted.
    const waiting = { tokenHash, revoked: false }
    this.authenticating.add(waiting)
    // Until ws or refuseUpgrade takes the socket over, an error on it must not end the process.
    const onError = () => socket.destroy()
    socket.on('error', onError)
    this.principals.resolve(credential.token).then(
      (session) => {
        this.authenticating.delete(waiting)
        bump(this.lookingUp, address, -1)
        socket.off('error', onError)
        if (socket.destroyed) return
        if (!session || waiting.revoked) return this.refuse(socket, 'unauthenticated', 401, 'UNAUTHENTICATED', 'login required')
        this.admit(req, socket, head, credential.via, tokenHash, session)
      },
      (err: unknown) => {
        this.authenticating.delete(waiting)
        bump(this.lookingUp, address, -1)
        socket.off('error', onError)
        this.log.error({ err }, '/ws: the session could not be looked up')
        refuseUpgrade(socket, 503, 'UNAVAILABLE', 'try again')
      },
    )
  }

  /** The rest of the upgrade once the session is known: origin, caps, then the WebSocket. */
  private admit(req: IncomingMessage, socket: Duplex, head: Buffer, via: NonNullable<ReturnType<typeof credentialOf>>['via'], tokenHash: string, session: { user: User; expiresAt: number }): void {
    if (via === 'cookie' && isForeignOrigin(req, this.limits.https)) return this.refuse(socket, 'origin', 403, 'FORBIDDEN', "Origin is not this service's origin")
    const address = addressKey(req.socket.remoteAddress)
    if ((this.perSession.get(tokenHash) ?? 0) >= this.limits.perSession) return this.refuseOverCap(socket, 'per-session', `s:${tokenHash}`, { user: session.user.name, limit: this.limits.perSession })
    if ((this.perAddress.get(address) ?? 0) >= this.limits.perAddress) return this.refuseOverCap(socket, 'per-address', `a:${address}`, { address, limit: this.limits.perAddress })
    // Counted from here, not from 'open', so a burst of parallel upgrades cannot all slip under the cap.
    bump(this.perSession, tokenHash, 1)
    bump(this.perAddress, address, 1)
    let counted = true
    const release = () => {
      if (!counted) return
      counted = false
      if (bump(this.perSession, tokenHash, -1) < this.limits.perSession) this.capLogged.delete(`s:${tokenHash}`)
      if (bump(this.perAddress, address, -1) < this.limits.perAddress) this.capLogged.delete(`a:${address}`)
    }
    // A handshake that never completes (the client reset mid-upgrade) frees its slots with its socket.
    socket.once('close', release)
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.once('close', release)
      this.accept(ws, session.user, tokenHash, session.expiresAt)
    })
  }

  private refuse(socket: Duplex, reason: LivePushRefusal, status: 401 | 403 | 429, code: string, message: string): void {
    this.stats.onRefused?.(reason)
    refuseUpgrade(socket, status, code, message)
  }

  /** Over a cap: 429, counted; said once in the log per session or address while it stays at its cap. */
  private refuseOverCap(socket: Duplex, reason: 'per-session' | 'per-address', key: string, detail: Record<string, unknown>): void {
    if (!this.capLogged.has(key)) {
      this.capLogged.add(key)
      this.log.warn({ ...detail, reason }, `/ws connection cap reached (${reason}): further connections get 429 and are counted in stationwatch_ws_refused_total`)
    }
    this.refuse(socket, reason, 429, 'TOO_MANY_REQUESTS', `too many /ws connections ${reason === 'per-session' ? 'for this login session' : 'from this address'}`)
  }

  /** The session of `token` was logged out: its connections are closed now. */
  revoke(token: string): void {
    this.revokeHashes([hashToken(token)])
  }

  /** Sessions ended by their stored token hash (dropped past a user's session bound, or a revoked display token). */
  revokeHashes(tokenHashes: string[]): void {
    const ended = new Set(tokenHashes)
    for (const w of this.authenticating) if (ended.has(w.tokenHash)) w.revoked = true
    for (const p of this.peers) if (ended.has(p.tokenHash)) this.endSession(p, 'session ended')
  }

  /** A user's role or station scope changed: their connections close, and reconnect under the new one. */
  endUser(username: string): void {
    for (const p of this.peers) if (p.user.display === undefined && p.user.name === username) this.endSession(p, 'user changed')
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

  stop(): void {
    clearInterval(this.pinger)
    for (const p of this.peers) {
      clearTimeout(p.expiry)
      p.ws.close(1001, 'server shutting down')
    }
    this.wss.close()
  }

  private accept(ws: WebSocket, user: User, tokenHash: string, expiresAt: number): void {
    const peer: Peer = { ws, user, scope: scopeOf(user), tokenHash, expiresAt, stations: null, alive: true }
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
    const sees = (station: string) => peer.scope === null || peer.scope.has(station)
    this.send(peer, JSON.stringify({ type: 'snapshot', stations: this.source.statuses().filter((s) => sees(s.id)), alerts: this.source.openAlerts().filter((a) => sees(a.station)) }))
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
      if ((p.scope && !p.scope.has(station)) || (p.stations && !p.stations.has(station))) continue
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

/** Adds `delta` to a per-key count, forgetting keys that reach 0; returns the new count. */
function bump(counts: Map<string, number>, key: string, delta: number): number {
  const n = (counts.get(key) ?? 0) + delta
  if (n <= 0) counts.delete(key)
  else counts.set(key, n)
  return n
}
