// The live connection (contract §5): `/ws` with the session cookie. A snapshot on every
// (re)connect replaces what the page shows; when the connection drops the page says so and
// tries again with exponential backoff.
import { api, ApiError, bearerToken } from './api.js'
import { applyAlert, applySnapshot, applyStation, setLink } from './store.js'

const BACKOFF_FIRST_MS = 500
const BACKOFF_MAX_MS = 15_000
/** How often the page checks that the server still answers while the socket looks open. */
const WATCHDOG_MS = 15_000
/** A check that gets no answer within this is a lost server (a dropped network answers nothing, never an error). */
const PROBE_TIMEOUT_MS = 5_000
/** A connection attempt that neither opens nor fails within this is given up and tried again. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * @typedef {object} LiveHooks
 * @property {(alert: import('./api.js').Alert) => void} [onAlert]
 * @property {(station: string, status?: import('./api.js').StationStatus) => boolean} [keep] only these stations' statuses and alerts are kept (a wall screen); asked with the status when there is one
 * @property {(signal: AbortSignal) => Promise<unknown>} [probe] asks the server whether it is there and the credential still valid; default: the session (`/api/auth/me`)
 * @property {number} [watchdogMs] how often the probe runs while the socket looks open
 */

export class LiveConnection {
  /** @param {LiveHooks} [hooks] */
  constructor(hooks = {}) {
    this.hooks = hooks
    /** @type {WebSocket | null} */
    this.ws = null
    this.attempt = 0
    this.running = false
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.watchdog = undefined
  }

  start() {
    if (this.running) return
    this.running = true
    this.attempt = 0
    this.open()
    this.watchdog = setInterval(() => this.checkServer(), this.hooks.watchdogMs ?? WATCHDOG_MS)
  }

  stop() {
    this.running = false
    clearTimeout(this.retryTimer)
    clearInterval(this.watchdog)
    this.drop()
  }

  /** Skips the rest of the backoff wait. */
  retryNow() {
    if (!this.running || this.ws) return
    clearTimeout(this.retryTimer)
    this.open()
  }

  /** The phone woke up or the network came back: check now rather than at the next timer. */
  wake() {
    if (!this.running) return
    if (this.ws) this.checkServer()
    else this.retryNow()
  }

  open() {
    setLink('connecting')
    const token = bearerToken()
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`
    const ws = new WebSocket(url)
    this.ws = ws
    ws.onmessage = (ev) => this.receive(ev.data)
    ws.onclose = () => this.lost(ws)
    ws.onerror = () => this.lost(ws)
    // On a network that drops packets silently, an attempt hangs rather than fails.
    setTimeout(() => this.ws === ws && ws.readyState === WebSocket.CONNECTING && this.lost(ws), CONNECT_TIMEOUT_MS)
  }

  /** @param {unknown} data */
  receive(data) {
    /** @type {any} */
    let msg
    try {
      msg = JSON.parse(String(data))
    } catch {
      return
    }
    const keep = this.hooks.keep ?? (() => true)
    if (msg?.type === 'snapshot') {
      this.attempt = 0
      // statuses first: a keep() that goes by district learns the ids its alerts are asked by
      /** @type {import('./api.js').StationStatus[]} */
      const stations = (msg.stations ?? []).filter((/** @type {import('./api.js').StationStatus} */ s) => keep(s.id, s))
      /** @type {import('./api.js').Alert[]} */
      const alerts = (msg.alerts ?? []).filter((/** @type {import('./api.js').Alert} */ a) => keep(a.station))
      applySnapshot(stations, alerts)
      for (const a of alerts) this.hooks.onAlert?.(a)
    } else if (msg?.type === 'station' && msg.station) {
      if (keep(msg.station.id, msg.station)) applyStation(msg.station)
    } else if (msg?.type === 'alert' && msg.alert && keep(msg.alert.station)) {
      applyAlert(msg.alert)
      this.hooks.onAlert?.(msg.alert)
    }
  }

  /** @param {WebSocket} ws */
  lost(ws) {
    if (ws !== this.ws) return
    this.drop()
    if (!this.running) return
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt) * (0.8 + Math.random() * 0.4)
    this.attempt++
    setLink('offline', Date.now() + delay)
    this.retryTimer = setTimeout(() => this.open(), delay)
    // A refused upgrade looks like any other failure: ask whether the session is still valid
    // (a 401 sends the page back to the login form).
    this.probe().catch(() => undefined)
  }

  drop() {
    const ws = this.ws
    this.ws = null
    if (!ws) return
    ws.onmessage = ws.onclose = ws.onerror = null
    try {
      ws.close()
    } catch {
      // already closed
    }
  }

  /** A server that vanished without closing the socket is noticed here rather than never. */
  async checkServer() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return
    const ws = this.ws
    try {
      await this.probe()
    } catch (err) {
      if (err instanceof ApiError && err.status === 0) this.lost(ws)
    }
  }

  /** The probe, given up after PROBE_TIMEOUT_MS (then it fails as "server not reached", status 0). */
  probe() {
    const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS)
    return this.hooks.probe ? this.hooks.probe(signal) : api.me(signal)
  }
}
