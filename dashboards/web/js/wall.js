// The wall screen (大屏, contract v2 §E): `/wall/<station>` or `/wall?district=…`, opened with a
// display token in the URL (`?token=`) or a normal login. Nobody stands at it: it reconnects by
// itself after a restart or a network drop, says when what it shows is not current, and scales its
// type so that everything fits the screen without scrolling.
import { audioReady, unlockAudio } from './alarm.js'
import { announce, startAlarmRepeat } from './alerts.js'
import { request, setBearerToken, setUnauthenticatedHandler } from './api.js'
import { $, h, patch, replace } from './dom.js'
import { applyStatic, currentLang, setLang, t } from './i18n.js'
import { formatDateTime, formatTime } from './format.js'
import { LiveConnection } from './live.js'
import { store, subscribe, zoneOf } from './store.js'
import { districtTitle, renderDistrictWall } from './wall-district.js'
import { capLists, renderStationWall, stationTitle } from './wall-station.js'

/** The smallest type on the wall (contract: no text under 14 px); every text is at least 1 unit. */
const MIN_UNIT_PX = 14
/** a 4K screen at 100 % scaling is 3840 CSS px wide: the type grows with it */
const MAX_UNIT_PX = 48
/** A probe every 10 s notices a network that dropped without closing the socket. */
const WATCHDOG_MS = 10_000

/** @typedef {{ kind: 'station', id: string } | { kind: 'district', district: string | null }} WallTarget */

const params = new URLSearchParams(location.search)
const target = wallTarget()
setBearerToken(params.get('token'))
const lang = params.get('lang')
if (lang === 'en' || lang === 'zh-CN') setLang(lang)

/** @returns {WallTarget} */
function wallTarget() {
  const m = /^\/wall\/([^/]+)\/?$/.exec(location.pathname)
  if (m?.[1]) return { kind: 'station', id: decodeURIComponent(m[1]) }
  return { kind: 'district', district: params.get('district') }
}

/** The district wall keeps its stations' ids, learnt from their statuses, to know their alerts. */
const inDistrict = new Set()

/**
 * @param {string} station
 * @param {import('./api.js').StationStatus} [status]
 */
function keep(station, status) {
  if (target.kind === 'station') return station === target.id
  if (target.district === null) return true
  if (status) {
    if (status.district === target.district) inDistrict.add(station)
    else inDistrict.delete(station)
  }
  return inDistrict.has(station)
}

/** @param {AbortSignal} signal */
function probe(signal) {
  return request(target.kind === 'station' ? `/api/stations/${encodeURIComponent(target.id)}` : '/api/overview', { signal })
}

const live = new LiveConnection({ onAlert: announce, keep, probe, watchdogMs: WATCHDOG_MS })

/** What the screen shows about access: 'in' once a snapshot came, 'out' after a 401. */
function setAuth(/** @type {'unknown' | 'in' | 'out'} */ state) {
  document.body.dataset.auth = state
  renderNotice()
}

let drawPending = false
function scheduleDraw() {
  if (drawPending) return
  drawPending = true
  requestAnimationFrame(() => {
    drawPending = false
    draw()
  })
}

function draw() {
  const main = $('#wall-main')
  const title = $('#wall-title')
  if (target.kind === 'station') {
    const s = store.stations.get(target.id)
    if (!s) {
      replace(title)
      patch(main, h('p', { class: 'wall-empty' }, store.link.snapshots ? t('wall.noStation', { id: target.id }) : t('conn.connecting')))
    } else {
      patch(title, stationTitle(s))
      renderStationWall(main, s)
    }
  } else {
    patch(title, districtTitle(target.district))
    if (store.stations.size) renderDistrictWall(main, target.district === null)
    else patch(main, h('p', { class: 'wall-empty' }, store.link.snapshots ? t('wall.noDistrictStations', { district: target.district ?? t('wall.allStations') }) : t('conn.connecting')))
  }
  renderLink()
  fit()
}

/** The station's zone (a district wall: its first station's, they share one in practice). */
function zone() {
  return zoneOf(target.kind === 'station' ? store.stations.get(target.id) : store.stations.values().next().value)
}

function renderClock() {
  const now = Date.now()
  $('#wall-time').textContent = formatTime(now, zone())
  $('#wall-date').textContent = formatDateTime(now, zone()).slice(0, 10)
}

function renderLink() {
  const { state, lastUpdate, retryAt, snapshots } = store.link
  document.body.dataset.link = state
  document.body.dataset.snapshots = String(snapshots)
  const indicator = $('#wall-link-state')
  indicator.dataset.state = state
  const retry = retryAt ? ` · ${t('conn.retryIn', { s: Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) })}` : ''
  indicator.textContent = t(state === 'live' ? 'conn.live' : state === 'connecting' ? 'conn.connecting' : 'conn.offline') + (state === 'offline' ? retry : '')
  $('#wall-updated').textContent = lastUpdate ? t('wall.lastUpdate', { time: formatTime(lastUpdate, zone()) }) : t('wall.noUpdate')
  const stale = $('#wall-stale')
  // Once there is a state on screen that is no longer current, say so across the screen.
  stale.hidden = state === 'live' || snapshots === 0
  stale.textContent = lastUpdate ? t('wall.stale', { time: formatTime(lastUpdate, zone()) }) : t('wall.staleNoTime')
  $('#wall-sound').hidden = audioReady()
}

function renderNotice() {
  const notice = $('#wall-notice')
  const out = document.body.dataset.auth === 'out'
  notice.hidden = !out
  if (!out) return
  // With a token the token is wrong; without one the browser has no session.
  if (params.get('token')) replace(notice, h('p', null, t('wall.auth')))
  else replace(notice, h('p', null, t('wall.login')), h('a', { href: '/', class: 'wall-login' }, t('wall.loginLink')))
}

/**
 * The largest type (in whole pixels) at which the page needs no scrolling either way, found by
 * halving the range in one task, so nothing is painted in between. The range is 14 px up to what
 * the screen's size suggests: 24 px on 1920×1080 or an upright one, 48 px on a 4K screen at 100 %.
 */
function fit() {
  const root = document.documentElement
  const page = document.scrollingElement ?? root
  const set = (/** @type {number} */ u) => root.style.setProperty('--u', `${u}px`)
  const fits = (/** @type {number} */ u) => (set(u), page.scrollHeight <= innerHeight && page.scrollWidth <= innerWidth)
  let lo = MIN_UNIT_PX
  let hi = Math.max(24, Math.min(MAX_UNIT_PX, Math.floor(Math.min(innerWidth / 80, innerHeight / 45))))
  // lo is kept as "fits, or nothing smaller is allowed"
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (fits(mid)) lo = mid
    else hi = mid - 1
  }
  set(lo)
  root.dataset.unit = String(lo)
  root.dataset.fittedTo = `${innerWidth}x${innerHeight}`
  capLists(document)
}

/**
 * The page's own files as the server describes them (Last-Modified and length of every script and
 * style sheet it loaded): after a reconnect, a change means the service was upgraded, and a screen
 * nobody touches would otherwise run the old page against the new service for good.
 */
async function assetStamp() {
  const stamps = await Promise.all(
    assets.map(async (u) => {
      const res = await fetch(u, { method: 'HEAD', cache: 'no-store' })
      return res.ok ? `${u} ${res.headers.get('last-modified')} ${res.headers.get('content-length')}` : null
    }),
  )
  return stamps.includes(null) ? null : stamps.sort().join('\n')
}

/** The page and the scripts and style sheets it loaded, listed once loaded. @type {string[]} */
let assets = []
/** @type {string | null} */
let bootStamp = null
let seenSnapshots = 0
function reloadIfUpgraded() {
  const { snapshots } = store.link
  if (snapshots === seenSnapshots) return
  const reconnected = seenSnapshots > 0
  seenSnapshots = snapshots
  if (!reconnected || bootStamp === null) return
  assetStamp()
    .then((now) => now !== null && now !== bootStamp && location.reload())
    .catch(() => undefined)
}

function boot() {
  applyStatic()
  document.title = `${t('wall.title')} · ${target.kind === 'station' ? target.id : target.district ?? t('wall.allStations')} · StationWatch`
  setUnauthenticatedHandler(() => setAuth('out'))
  subscribe(['stations', 'alerts'], scheduleDraw)
  subscribe(['link'], () => {
    if (store.link.state === 'live' && document.body.dataset.auth !== 'in') setAuth('in')
    reloadIfUpgraded()
    scheduleDraw()
  })
  // Browsers play sound only after a gesture, unless started with --autoplay-policy=no-user-gesture-required
  // (docs: hanging a wall screen); a click anywhere turns it on.
  unlockAudio()
  document.addEventListener('pointerdown', () => (unlockAudio(), setTimeout(renderLink, 100)))
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && live.wake())
  window.addEventListener('online', () => live.wake())
  window.addEventListener('resize', scheduleDraw)
  setInterval(renderClock, 1000)
  // durations ("for 5 min") and the retry countdown stay current between pushes
  setInterval(scheduleDraw, 10_000)
  setInterval(() => store.link.state !== 'live' && renderLink(), 1000)
  startAlarmRepeat()
  renderClock()
  draw()
  setAuth('unknown')
  live.start()
  document.documentElement.lang = currentLang()
  window.addEventListener('load', () => {
    const own = performance
      .getEntriesByType('resource')
      .map((e) => new URL(e.name))
      .filter((u) => u.origin === location.origin && /\.(js|css)$/.test(u.pathname))
      .map((u) => u.pathname)
    assets = [...new Set([location.pathname, ...own])]
    assetStamp().then((stamp) => (bootStamp = stamp), () => undefined)
  })
}

boot()
