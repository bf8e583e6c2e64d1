// What the page knows: the user, every station's status and the open alerts, and whether that
// knowledge is current (the live connection is up) or only the last state received.

/**
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {import('./api.js').Alert} Alert
 * @typedef {import('./api.js').User} User
 * @typedef {'connecting' | 'live' | 'offline'} LinkState
 * @typedef {'user' | 'stations' | 'alerts' | 'link' | 'selection'} Topic
 */

export const SELECTED_KEY = 'stationwatch.station'

export const store = {
  /** @type {User | null} */
  user: null,
  /** @type {Map<string, StationStatus>} */
  stations: new Map(),
  /** open (active or acknowledged) alerts by id */
  /** @type {Map<string, Alert>} */
  alerts: new Map(),
  /** @type {string | null} */
  selected: readSelected(),
  /** @type {{ state: LinkState, lastUpdate: number | null, retryAt: number | null, snapshots: number }} */
  link: { state: 'connecting', lastUpdate: null, retryAt: null, snapshots: 0 },
}

/** @type {Map<Topic, Set<() => void>>} */
const listeners = new Map()

/**
 * @param {Topic[]} topics
 * @param {() => void} fn
 */
export function subscribe(topics, fn) {
  for (const topic of topics) {
    let set = listeners.get(topic)
    if (!set) listeners.set(topic, (set = new Set()))
    set.add(fn)
  }
}

/** @param {Topic[]} topics */
function emit(...topics) {
  /** @type {Set<() => void>} */
  const fns = new Set()
  for (const topic of topics) for (const fn of listeners.get(topic) ?? []) fns.add(fn)
  for (const fn of fns) fn()
}

function readSelected() {
  try {
    return localStorage.getItem(SELECTED_KEY)
  } catch {
    return null
  }
}

/** @param {User | null} user */
export function setUser(user) {
  store.user = user
  if (!user) {
    store.stations.clear()
    store.alerts.clear()
    store.link = { state: 'connecting', lastUpdate: null, retryAt: null, snapshots: 0 }
  }
  emit('user')
}

/**
 * A snapshot replaces everything: what was shown before the connection dropped is not kept.
 * @param {StationStatus[]} stations
 * @param {Alert[]} alerts
 */
export function applySnapshot(stations, alerts) {
  store.stations = new Map(stations.map((s) => [s.id, s]))
  store.alerts = new Map(alerts.filter((a) => a.state !== 'resolved').map((a) => [a.id, a]))
  store.link = { ...store.link, state: 'live', lastUpdate: Date.now(), retryAt: null, snapshots: store.link.snapshots + 1 }
  if (!store.selected || !store.stations.has(store.selected)) store.selected = stations[0]?.id ?? null
  emit('stations', 'alerts', 'link', 'selection')
}

/** @param {StationStatus} status */
export function applyStation(status) {
  store.stations.set(status.id, status)
  store.link.lastUpdate = Date.now()
  if (!store.selected) store.selected = status.id
  emit('stations')
}

/**
 * @param {Alert} alert
 * @returns {Alert | undefined} the alert as it was before
 */
export function applyAlert(alert) {
  const before = store.alerts.get(alert.id)
  if (alert.state === 'resolved') store.alerts.delete(alert.id)
  else store.alerts.set(alert.id, { ...before, ...alert })
  store.link.lastUpdate = Date.now()
  emit('alerts')
  return before
}

/**
 * @param {LinkState} state
 * @param {number | null} [retryAt]
 */
export function setLink(state, retryAt = null) {
  store.link = { ...store.link, state, retryAt }
  emit('link')
}

/** @param {string} id */
export function selectStation(id) {
  if (!store.stations.has(id) || store.selected === id) return
  store.selected = id
  try {
    localStorage.setItem(SELECTED_KEY, id)
  } catch {
    // not remembered; fine
  }
  emit('selection')
}

/** @returns {StationStatus | undefined} */
export function selectedStation() {
  return store.selected ? store.stations.get(store.selected) : undefined
}

/** Open alerts, newest first. @param {string} [station] */
export function openAlerts(station) {
  return [...store.alerts.values()].filter((a) => !station || a.station === station).sort((a, b) => b.openedAt - a.openedAt)
}

/**
 * The station's time zone (the status carries it; the demo station's is the fallback).
 * @param {StationStatus | undefined} station
 */
export function zoneOf(station) {
  return station?.timezone ?? 'Asia/Shanghai'
}
