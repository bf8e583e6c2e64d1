// The HTTP API (contract §4). The session is the HttpOnly cookie the login sets, so no token is kept here.

/**
 * @typedef {'viewer' | 'staff' | 'responder' | 'admin'} Role
 * @typedef {{ name: string, role: Role }} User
 * @typedef {{ id: string, name: string, open: boolean | null, since: number | null, stale: boolean }} Door
 * @typedef {{ id: string, name: string, holder?: string, opens?: string[], present: boolean | null, slot: string | null, takenBy?: string, since: number | null, stale: boolean }} Key
 * @typedef {{ id: string, name: string, category: string, kind: 'professional' | 'supply', present?: boolean | null, count?: number | null, min?: number, ledgerQuantity?: number, since: number | null, stale: boolean }} Item
 * @typedef {{ id: string, type: string, online: boolean, battery?: number, tamper?: boolean, lastSeen: number | null }} Device
 * @typedef {{ id: string, station?: string, openedAt: number, openedBy: string, note?: string }} Incident
 * @typedef {{ code: string, [param: string]: string | number | null }} Reason a readiness reason's code and the values its text needs
 * @typedef {{ id: string, name: string, district?: string, timezone?: string, readiness: number, level: 'ready' | 'degraded' | 'not-ready', reasons: string[], reasonCodes: Reason[], doors: Door[], keys: Key[], equipment: Item[], devices: Device[], incident: Incident | null, activeAlerts: number }} StationStatus
 * @typedef {{ id: string, station: string, rule: string, subject: string, severity: 'info' | 'warning' | 'critical', state: 'active' | 'acknowledged' | 'resolved', message: string, openedAt: number, ackedAt?: number, ackedBy?: string, ackNote?: string, resolvedAt?: number, resolvedBy?: string, escalated: boolean, drill?: boolean, flapping?: boolean }} Alert
 * @typedef {{ t: number, station: string, kind: string, subject: string, device: string, user?: string, value?: string | number, detail?: string, incident?: string }} AuditEvent
 * @typedef {'sent' | 'failed' | 'held' | 'merged'} DeliveryStatus
 * @typedef {{ at: number, step: number, channel: string, channelType?: string, to?: string, toName?: string, status: DeliveryStatus, error?: string }} Delivery one row of an alert's notification log
 * @typedef {{ type: string, lastSuccessAt?: number, lastError?: { at: number, message: string }, queued: number }} ChannelStatus
 * @typedef {{ at: number, channel: string, status: 'sent' | 'failed', error?: string }} TestDelivery
 */

export class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** @type {() => void} */
let onUnauthenticated = () => {}

/**
 * A token sent as `Authorization: Bearer` instead of relying on the session cookie: the wall
 * screen's display token, taken from its URL (contract v2 §E). Null on the normal dashboard.
 * @type {string | null}
 */
let bearer = null

/** @param {string | null} token */
export function setBearerToken(token) {
  bearer = token || null
}

/** The token set by setBearerToken, for the live connection's `?token=` (a WebSocket cannot send headers). */
export function bearerToken() {
  return bearer
}

/** Called when a request answers 401: the session has ended. @param {() => void} fn */
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn
}

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [init]
 * @returns {Promise<any>}
 */
export async function request(path, init = {}) {
  /** @type {Response} */
  let res
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, 'NETWORK', err instanceof Error ? err.message : String(err))
  }
  if (res.status === 204) return undefined
  const body = await res.json().catch(() => undefined)
  if (!res.ok) {
    const e = body?.error ?? {}
    if (res.status === 401 && path !== '/api/auth/login') onUnauthenticated()
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText)
  }
  return body
}

/**
 * Builds a query string, leaving out empty values.
 * @param {Record<string, string | number | undefined | null>} params
 */
export function query(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

const enc = encodeURIComponent

export const api = {
  /** @returns {Promise<{ user: User, expiresAt: number }>} */
  login: (/** @type {string} */ username, /** @type {string} */ password) => request('/api/auth/login', { method: 'POST', body: { username, password } }),
  logout: () => request('/api/auth/logout', { method: 'POST' }),
  /** @returns {Promise<{ user: User }>} */
  me: (/** @type {AbortSignal | undefined} */ signal = undefined) => request('/api/auth/me', { signal }),
  /** @returns {Promise<StationStatus>} */
  station: (/** @type {string} */ id) => request(`/api/stations/${enc(id)}`),
  /** @returns {Promise<{ subject: string, points: { t: number, v: boolean | number | null }[] }>} */
  history: (/** @type {string} */ station, /** @type {Record<string, string | number | undefined>} */ params, /** @type {AbortSignal} */ signal) =>
    request(`/api/stations/${enc(station)}/history${query(params)}`, { signal }),
  /** @returns {Promise<AuditEvent[]>} */
  events: (/** @type {string} */ station, /** @type {Record<string, string | number | undefined>} */ params, /** @type {AbortSignal} */ signal) =>
    request(`/api/stations/${enc(station)}/events${query(params)}`, { signal }),
  eventsCsvUrl: (/** @type {string} */ station, /** @type {Record<string, string | number | undefined>} */ params) => `/api/stations/${enc(station)}/events${query({ ...params, format: 'csv' })}`,
  /** @returns {Promise<Alert>} */
  ack: (/** @type {string} */ id, /** @type {string} */ note) => request(`/api/alerts/${enc(id)}/ack`, { method: 'POST', body: note ? { note } : {} }),
  /** @returns {Promise<Alert>} */
  resolve: (/** @type {string} */ id, /** @type {string} */ note) => request(`/api/alerts/${enc(id)}/resolve`, { method: 'POST', body: note ? { note } : {} }),
  /** @returns {Promise<Incident>} */
  openIncident: (/** @type {string} */ station, /** @type {string} */ note) => request(`/api/stations/${enc(station)}/incidents`, { method: 'POST', body: note ? { note } : {} }),
  closeIncident: (/** @type {string} */ id) => request(`/api/incidents/${enc(id)}/close`, { method: 'POST', body: {} }),
  /** @returns {Promise<Delivery[]>} */
  notifications: (/** @type {string} */ alertId) => request(`/api/alerts/${enc(alertId)}/notifications`),
  /** @returns {Promise<Record<string, ChannelStatus>>} */
  notifyStatus: () => request('/api/notify/status'),
  /** @returns {Promise<TestDelivery>} */
  notifyTest: (/** @type {string} */ channel) => request('/api/notify/test', { method: 'POST', body: { channel } }),
}

/** @type {Role[]} */
const ROLES = ['viewer', 'staff', 'responder', 'admin']

/**
 * Whether `user` has at least `needed` (each role has every right of the ones before it).
 * @param {User | null} user
 * @param {Role} needed
 */
export function can(user, needed) {
  return !!user && ROLES.indexOf(user.role) >= ROLES.indexOf(needed)
}
