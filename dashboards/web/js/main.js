// Start-up and the page frame: login or app, header, views by URL hash, the connection banner.
import { unlockAudio } from './alarm.js'
import { announce, renderAlerts, startAlarmRepeat } from './alerts.js'
import { api, ApiError, can, setUnauthenticatedHandler } from './api.js'
import { renderAudit } from './audit.js'
import { renderAdmin } from './admin.js'
import { adminTabs, showAdminTab } from './admin-tabs.js'
import { refreshDurations, renderBoard } from './board.js'
import { $, h, replace } from './dom.js'
import { applyStatic, currentLang, onLangChange, setLang, t } from './i18n.js'
import { formatTime } from './format.js'
import { renderHistory, resizeCharts } from './history.js'
import { renderLedger } from './ledger.js'
import { renderOverview } from './overview.js'
import { renderRoutine } from './routine.js'
import { onLedger, syncLedger } from './ledger-data.js'
import { LiveConnection } from './live.js'
import { openAlerts, selectedStation, selectStation, setUser, store, subscribe, zoneOf } from './store.js'

/** @typedef {'overview' | 'board' | 'alerts' | 'history' | 'audit' | 'ledger' | 'routine' | 'admin'} View */

const VIEWS = /** @type {View[]} */ (['overview', 'board', 'alerts', 'history', 'audit', 'ledger', 'routine', 'admin'])
const live = new LiveConnection({ onAlert: announce })

const el = {
  overview: $('#view-overview'),
  board: $('#view-board'),
  alerts: $('#view-alerts'),
  history: $('#view-history'),
  audit: $('#view-audit'),
  ledger: $('#view-ledger'),
  routine: $('#view-routine'),
  // the stations tab; users and wall screens are tabs beside it (admin-tabs.js)
  admin: adminTabs($('#view-admin')),
}

/** @returns {View} */
function currentView() {
  const v = /** @type {View} */ (location.hash.slice(1))
  // Opens on the overview of many stations (contract v2 §E); one station's overview would be its board.
  if (!VIEWS.includes(v)) return store.stations.size > 1 ? 'overview' : 'board'
  if (v === 'audit' && !can(store.user, 'staff')) return 'board'
  if (v === 'admin' && !can(store.user, 'admin')) return 'board'
  return v
}

function showView() {
  const view = currentView()
  document.body.dataset.view = view
  for (const a of document.querySelectorAll('[data-view-link]')) {
    const on = /** @type {HTMLElement} */ (a).dataset.viewLink === view
    a.classList.toggle('active', on)
    if (on) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  if (view === 'overview') renderOverview(el.overview)
  if (view === 'history') renderHistory(el.history)
  if (view === 'audit') renderAudit(el.audit)
  if (view === 'ledger') renderLedger(el.ledger, { fresh: true })
  if (view === 'routine') renderRoutine(el.routine, { fresh: true })
  if (view === 'admin') renderAdmin(el.admin, { fresh: true })
  if (view === 'admin') showAdminTab()
}

function renderLiveViews() {
  renderOverview(el.overview)
  renderBoard(el.board)
  renderAlerts(el.alerts)
  if (can(store.user, 'admin')) renderAdmin(el.admin)
}

function renderHeader() {
  const user = store.user
  $('#user-name').textContent = user ? `${user.name} · ${t(`role.${user.role}`)}` : ''
  for (const a of document.querySelectorAll('[data-role]')) /** @type {HTMLElement} */ (a).hidden = !can(user, /** @type {any} */ (/** @type {HTMLElement} */ (a).dataset.role))
  renderStationPicker()
  const station = selectedStation()
  $('#station-zone').textContent = station ? t('app.timezone', { tz: zoneOf(station) }) : ''
  // drills are counted apart (contract §10): the badge is the real alerts waiting for someone
  const n = openAlerts().filter((a) => a.state === 'active' && !a.drill).length
  const badge = $('#alert-badge')
  badge.hidden = n === 0
  badge.textContent = String(n)
  badge.classList.toggle('critical', openAlerts().some((a) => a.severity === 'critical' && a.state === 'active'))
}

/** Rebuilt only when the list or the choice changes, so that an open drop-down stays open. */
function renderStationPicker() {
  const picker = $('#station-picker')
  const stations = [...store.stations.values()]
  const signature = JSON.stringify([currentLang(), store.selected, stations.map((s) => [s.id, s.name])])
  if (picker.dataset.signature === signature) return
  picker.dataset.signature = signature
  if (stations.length <= 1) return replace(picker, h('span', { class: 'station-name' }, stations[0]?.name ?? ''))
  const onchange = (/** @type {Event} */ ev) => selectStation(/** @type {HTMLSelectElement} */ (ev.target).value)
  replace(picker, h('select', { 'aria-label': t('app.station'), onchange }, stations.map((s) => h('option', { value: s.id, selected: s.id === store.selected }, s.name))))
}

function renderLink() {
  const { state, retryAt, lastUpdate, snapshots } = store.link
  document.body.dataset.link = state
  document.body.dataset.snapshots = String(snapshots)
  $('#link-status').textContent = t(state === 'live' ? 'conn.live' : state === 'connecting' ? 'conn.connecting' : 'conn.offline')
  $('#link-status').dataset.state = state
  // The banner shows once there is state on screen that is no longer current.
  const banner = $('#conn-banner')
  banner.hidden = state === 'live' || snapshots === 0
  const tz = zoneOf(selectedStation())
  const parts = []
  if (retryAt) parts.push(t('conn.retryIn', { s: Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) }))
  if (lastUpdate) parts.push(t('conn.lastState', { time: formatTime(lastUpdate, tz) }))
  $('#conn-detail').textContent = parts.join(' · ')
  $('#conn-retry').hidden = state !== 'offline'
}

/** @param {string} [message] */
function showLogin(message) {
  document.body.dataset.auth = 'out'
  $('#app').hidden = true
  $('#login').hidden = false
  const err = $('#login-error')
  err.hidden = !message
  err.textContent = message ?? ''
  const username = /** @type {HTMLInputElement} */ ($('#login-username'))
  username.focus()
}

/** @param {import('./api.js').User} user */
function startApp(user) {
  setUser(user)
  document.body.dataset.auth = 'in'
  document.body.dataset.role = user.role
  $('#login').hidden = true
  $('#app').hidden = false
  renderHeader()
  renderLiveViews()
  showView()
  live.start()
}

async function onLogin(/** @type {Event} */ ev) {
  ev.preventDefault()
  unlockAudio() // the click that logs in is the gesture browsers ask for before playing sound
  const username = /** @type {HTMLInputElement} */ ($('#login-username')).value.trim()
  const passwordInput = /** @type {HTMLInputElement} */ ($('#login-password'))
  const password = passwordInput.value
  const err = $('#login-error')
  try {
    const { user } = await api.login(username, password)
    passwordInput.value = ''
    err.hidden = true
    startApp(user)
  } catch (e) {
    err.hidden = false
    err.textContent = e instanceof ApiError && e.status === 401 ? t('login.failed') : t('login.error', { msg: e instanceof Error ? e.message : String(e) })
  }
}

async function onLogout() {
  live.stop()
  await api.logout().catch(() => undefined)
  setUser(null)
  showLogin()
}

function wire() {
  $('#login-form').addEventListener('submit', onLogin)
  $('#logout').addEventListener('click', onLogout)
  $('#conn-retry').addEventListener('click', () => live.retryNow())
  for (const b of document.querySelectorAll('.lang-toggle')) b.addEventListener('click', () => setLang(currentLang() === 'en' ? 'zh-CN' : 'en'))
  window.addEventListener('hashchange', showView)
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && live.wake())
  window.addEventListener('online', () => live.wake())
  // Any click may be the first gesture on a page opened with a valid session: let the siren play.
  document.addEventListener('pointerdown', unlockAudio, { once: true })
  let resizing = 0
  window.addEventListener('resize', () => {
    clearTimeout(resizing)
    resizing = setTimeout(resizeCharts, 150)
  })

  setUnauthenticatedHandler(() => {
    if (!store.user) return
    live.stop()
    setUser(null)
    showLogin(t('login.expired'))
  })
  subscribe(['stations', 'alerts', 'user', 'selection'], () => {
    if (!store.user) return
    renderHeader()
    renderLiveViews()
    if (!location.hash) showView()
  })
  subscribe(['selection'], () => {
    if (store.user && (currentView() === 'history' || currentView() === 'audit' || currentView() === 'ledger' || currentView() === 'routine')) showView()
  })
  subscribe(['link'], renderLink)
  // The ledger is fetched again when the selected station's stock or expiry alerts change; the board's
  // expiry badges and an open ledger list follow it.
  subscribe(['stations', 'alerts', 'selection'], () => store.user && syncLedger(selectedStation(), openAlerts(store.selected ?? undefined)))
  // An alert that opens or changes (an inspection overdue, a drill acknowledged) refreshes the routine's lists.
  let routineRefresh = 0
  subscribe(['alerts'], () => {
    if (!store.user || currentView() !== 'routine') return
    clearTimeout(routineRefresh)
    routineRefresh = setTimeout(() => renderRoutine(el.routine), 300)
  })
  onLedger((station) => {
    if (!store.user || station !== store.selected) return
    renderBoard(el.board)
    if (currentView() === 'ledger') renderLedger(el.ledger)
  })
  onLangChange(() => {
    if (!store.user) return
    renderHeader()
    renderLink()
    renderLiveViews()
    showView()
  })
  setInterval(() => {
    if (store.link.state !== 'live') renderLink()
  }, 1000)
  setInterval(() => refreshDurations(document), 15_000)
  startAlarmRepeat()
}

async function boot() {
  applyStatic()
  wire()
  renderLink()
  try {
    const { user } = await api.me()
    startApp(user)
  } catch (e) {
    showLogin(e instanceof ApiError && e.status !== 401 ? t('login.error', { msg: e.message }) : undefined)
  }
}

boot()
