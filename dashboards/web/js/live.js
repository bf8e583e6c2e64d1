// The live connection (contract §5): `/ws` with the session cookie. A snapshot on every
// (re)connect replaces what the page shows; when the connection drops the page says so and
// tries again with exponential backoff.
import { api, ApiError } from './api.js'
import { applyAlert, applySnapshot, applyStation, setLink } from './store.js'

const BACKOFF_FIRST_MS = 500
const BACKOFF_MAX_MS = 15_000
/** How often the page checks that the server still answers while the socket looks open. */
const WATCHDOG_MS = 15_000

/**
 * @typedef {{ onAlert?: (alert: import('./api.js').Alert) => void }} LiveHooks
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
    this.watchdog = setInterval(() => this.checkServer(), WATCHDOG_MS)
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
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
    const ws = new WebSocket(url)
    this.ws = ws
    ws.onmessage = (ev) => this.receive(ev.data)
    ws.onclose = () => this.lost(ws)
    ws.onerror = () => this.lost(ws)
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
    if (msg?.type === 'snapshot') {
      this.attempt = 0
      applySnapshot(msg.stations ?? [], msg.alerts ?? [])
      for (const a of msg.alerts ?? []) this.hooks.onAlert?.(a)
    } else if (msg?.type === 'station' && msg.station) {
      applyStation(msg.station)
    } else if (msg?.type === 'alert' && msg.alert) {
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
    api.me().catch(() => undefined)
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
      await api.me()
    } catch (err) {
      if (err instanceof ApiError && err.status === 0) this.lost(ws)
    }
  }
}
