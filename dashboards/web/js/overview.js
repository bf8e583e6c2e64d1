// The overview of many stations (contract v2 §E): every station the user may see, worst first,
// grouped by district, live from the /ws station pushes. A click opens the station's board.
import { h, patch } from './dom.js'
import { t } from './i18n.js'
import { groupByDistrict, worstSeverities } from './overview-order.js'
import { selectStation, store } from './store.js'

/**
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {import('./overview-order.js').Severity} Severity
 */

let drawPending = false

/**
 * Draws at most once a frame, and only while the overview is shown: with hundreds of busy
 * stations every push would otherwise rebuild every tile. Showing the view draws it.
 * @param {HTMLElement} root
 */
export function renderOverview(root) {
  if (drawPending || document.body.dataset.view !== 'overview') return
  drawPending = true
  requestAnimationFrame(() => {
    drawPending = false
    draw(root)
  })
}

/** @param {HTMLElement} root */
function draw(root) {
  if (!root.dataset.wired) {
    root.dataset.wired = 'yes'
    // One listener for every tile: tiles come and go with each push.
    root.addEventListener('click', (ev) => {
      const tile = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (ev.target).closest('[data-station]'))
      if (tile?.dataset.station) openBoard(tile.dataset.station)
    })
  }
  if (store.stations.size === 0) {
    patch(root, h('p', { class: 'empty' }, store.link.state === 'live' ? t('app.noStations') : t('conn.connecting')))
    return
  }
  const worst = worstSeverities(store.alerts.values())
  const groups = groupByDistrict(store.stations.values())
  patch(
    root,
    h('p', { class: 'overview-summary', 'data-key': 'summary' }, summary([...store.stations.values()])),
    groups.map((g) =>
      h(
        'section',
        { class: 'overview-group card', 'data-key': `district:${g.district ?? ''}`, 'data-district': g.district ?? '' },
        h('h2', null, g.district ?? t('overview.noDistrict'), ' ', h('span', { class: 'overview-count' }, t('overview.count', { n: g.stations.length }))),
        h('div', { class: 'overview-grid' }, g.stations.map((s) => tile(s, worst.get(s.id)))),
      ),
    ),
  )
}

/** @param {string} id */
function openBoard(id) {
  selectStation(id)
  location.hash = '#board'
}

/** @param {StationStatus[]} stations */
function summary(stations) {
  const n = (/** @type {string} */ level) => stations.filter((s) => s.level === level).length
  return t('overview.summary', { total: stations.length, notReady: n('not-ready'), degraded: n('degraded'), ready: n('ready') })
}

/**
 * @param {StationStatus} s
 * @param {Severity | undefined} severity
 */
function tile(s, severity) {
  const critical = severity === 'critical'
  return h(
    'button',
    {
      type: 'button',
      class: `overview-tile level-${s.level}${critical ? ' sev-critical' : ''}`,
      'data-key': `station:${s.id}`,
      'data-station': s.id,
      'data-level': s.level,
      'data-severity': severity ?? '',
      'aria-label': t('overview.open', { name: s.name }),
    },
    h('span', { class: 'overview-name' }, s.name),
    h('span', { class: 'overview-id' }, s.id),
    h('span', { class: 'level-badge', 'data-level': s.level }, t(`level.${s.level}`)),
    h('span', { class: 'overview-readiness', 'data-testid': 'overview-readiness' }, `${s.readiness}%`),
    h('span', { class: 'overview-alerts' }, t('overview.alerts', { n: s.activeAlerts })),
    severity ? h('span', { class: `sev sev-${severity}`, 'data-testid': 'overview-severity' }, t(`alerts.sev.${severity}`)) : null,
  )
}
