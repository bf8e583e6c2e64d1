// A district's stations on a wall screen (大屏): one tile per station, worst first (as the overview
// orders them), each with its level, readiness, open alerts and the worst of them spelt out.
import { alertTitle } from './alerts.js'
import { h, patch } from './dom.js'
import { t } from './i18n.js'
import { groupByDistrict, worstFirst, worstSeverities } from './overview-order.js'
import { openAlerts, store } from './store.js'

/** @typedef {import('./api.js').StationStatus} StationStatus */

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 }

/**
 * One district's stations as tiles; every station the credential may see (no district asked) in
 * one group per district, as the overview groups them.
 * @param {HTMLElement} root
 * @param {boolean} grouped
 */
export function renderDistrictWall(root, grouped) {
  const worst = worstSeverities(store.alerts.values())
  const groups = grouped ? groupByDistrict(store.stations.values()) : [{ district: undefined, stations: [...store.stations.values()].sort(worstFirst) }]
  patch(
    root,
    groups.map((g) =>
      h(
        'section',
        { class: 'wall-group', 'data-key': `district:${g.district ?? ''}`, 'data-district': g.district ?? '' },
        grouped && groups.length > 1 ? h('h2', { class: 'wall-group-name' }, g.district ?? t('overview.noDistrict')) : null,
        h('div', { class: 'wall-district-grid' }, g.stations.map((s) => tile(s, worst.get(s.id)))),
      ),
    ),
  )
}

/**
 * The header's title: the district and how many stations are at each level.
 * @param {string | null} district
 */
export function districtTitle(district) {
  const stations = [...store.stations.values()]
  const n = (/** @type {string} */ level) => stations.filter((s) => s.level === level).length
  return h(
    'div',
    { class: 'wall-title' },
    h('div', { class: 'wall-name' }, h('strong', null, district ?? t('wall.allStations')), h('span', { class: 'wall-district' }, t('overview.summary', { total: stations.length, notReady: n('not-ready'), degraded: n('degraded'), ready: n('ready') }))),
  )
}

/**
 * @param {StationStatus} s
 * @param {import('./overview-order.js').Severity | undefined} severity
 */
function tile(s, severity) {
  const top = openAlerts(s.id)
    .filter((a) => !a.drill)
    .sort((a, b) => Number(a.state !== 'active') - Number(b.state !== 'active') || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.openedAt - a.openedAt)[0]
  return h(
    'section',
    { class: `wall-tile level-${s.level}${severity === 'critical' ? ' sev-critical' : ''}`, 'data-key': `station:${s.id}`, 'data-station': s.id, 'data-level': s.level, 'data-severity': severity ?? '' },
    h('strong', { class: 'wall-tile-name' }, s.name),
    h('span', { class: 'wall-readiness' }, `${s.readiness}%`),
    h('span', { class: 'wall-level', 'data-level': s.level }, t(`level.${s.level}`)),
    h('span', { class: 'wall-tile-alerts' }, t('overview.alerts', { n: s.activeAlerts }), severity ? h('b', { class: `sev sev-${severity}` }, t(`alerts.sev.${severity}`)) : null),
    top ? h('span', { class: `wall-tile-top sev-${top.severity}` }, alertTitle(top)) : null,
  )
}
