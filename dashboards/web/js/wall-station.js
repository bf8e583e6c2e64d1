// One station on a wall screen (大屏): everything at once, nothing to click, read from across the
// room. Doors, keys (who holds them, since when) and devices on the left; every item named with its
// state or count in the middle, by category; the active alerts, critical first, on the right.
import { alertTitle } from './alerts.js'
import { h, patch } from './dom.js'
import { has, reasonText, t } from './i18n.js'
import { byCategory, categoryName, formatDuration, formatTime } from './format.js'
import { openAlerts, zoneOf } from './store.js'

/**
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {import('./api.js').Alert} Alert
 * @typedef {'ok' | 'warn' | 'bad' | 'stale' | 'off'} Tone
 */

const BATTERY_LOW = 20
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 }

/**
 * @param {HTMLElement} root
 * @param {StationStatus} s
 */
export function renderStationWall(root, s) {
  const tz = zoneOf(s)
  const alerts = openAlerts(s.id)
  patch(
    root,
    h(
      'div',
      { class: 'wall-station', 'data-key': `station:${s.id}`, 'data-station': s.id },
      h(
        'div',
        { class: 'wall-col wall-left' },
        panel('doors', t('board.doors'), s.doors.map((d) => doorRow(d, tz, alerts))),
        panel('keys', t('board.keys'), s.keys.map((k) => keyRow(k, tz, alerts))),
        panel('devices', t('board.devices'), s.devices.map((d) => deviceRow(d, s.id))),
      ),
      h('div', { class: 'wall-col wall-center' }, equipment(s, alerts)),
      h('div', { class: 'wall-col wall-right' }, alertPanel(alerts, tz), s.reasonCodes.length ? reasonPanel(s) : null),
    ),
  )
}

/** The station's name, level and readiness for the header. @param {StationStatus} s */
export function stationTitle(s) {
  return h(
    'div',
    { class: `wall-title level-${s.level}` },
    h('div', { class: 'wall-name' }, h('strong', null, s.name), s.district ? h('span', { class: 'wall-district' }, s.district) : null),
    h('span', { class: 'wall-readiness', 'data-testid': 'wall-readiness' }, `${s.readiness}%`),
    h('span', { class: 'wall-level', 'data-level': s.level, 'data-testid': 'wall-level' }, t(`level.${s.level}`)),
    s.incident ? h('span', { class: 'wall-incident', 'data-testid': 'wall-incident' }, t('wall.incident')) : null,
  )
}

/**
 * @param {string} kind
 * @param {string} title
 * @param {Node[]} rows
 */
function panel(kind, title, rows) {
  return h('section', { class: `wall-panel wall-${kind}`, 'data-key': kind }, h('h2', null, title), h('ul', { class: 'wall-rows' }, rows))
}

/** Why the station is not fully ready, as many reasons as fit. @param {StationStatus} s */
function reasonPanel(s) {
  return h(
    'section',
    { class: 'wall-panel wall-reasons wall-capped', 'data-key': 'reasons' },
    h('h2', null, t('wall.reasons')),
    h('ul', { class: 'wall-rows' }, s.reasonCodes.map((r, i) => h('li', { class: 'wall-reason' }, reasonText(r, s.reasons[i] ?? r.code)))),
    h('p', { class: 'wall-more', hidden: true }),
  )
}

/**
 * One line: name and a state chip, and under it what explains the state.
 * @param {{ subject: string, state: string, tone: Tone, name: string, chip: string, meta?: (Node | string | null)[] }} o
 */
function row(o) {
  const meta = (o.meta ?? []).filter((m) => m !== null)
  return h(
    'li',
    { class: `wall-row tone-${o.tone}`, 'data-key': o.subject, dataset: { subject: o.subject, state: o.state } },
    h('span', { class: 'name' }, o.name),
    h('span', { class: 'chip' }, o.chip),
    meta.length ? h('span', { class: 'meta' }, ...meta) : null,
  )
}

/**
 * "since 14:03 · 5 min"
 * @param {number | null} since
 * @param {string} tz
 */
function since(since, tz) {
  if (since === null) return h('span', null, t('board.neverReported'))
  return h('span', { class: 'since' }, t('wall.since', { time: formatTime(since, tz), d: formatDuration(Date.now() - since) }))
}

/**
 * @param {Alert[]} alerts
 * @param {string} subject
 * @param {string} rule
 */
function hasAlert(alerts, subject, rule) {
  return alerts.some((a) => a.subject === subject && a.rule === rule)
}

/**
 * @param {import('./api.js').Door} d
 * @param {string} tz
 * @param {Alert[]} alerts
 */
function doorRow(d, tz, alerts) {
  const subject = `door:${d.id}`
  const state = d.open === null ? null : t(d.open ? 'door.open' : 'door.closed')
  if (d.stale) return row({ subject, state: 'stale', tone: 'stale', name: d.name, chip: state === null ? t('board.stale') : `? ${state}`, meta: [since(d.since, tz)] })
  const forced = hasAlert(alerts, subject, 'door-forced')
  const tooLong = hasAlert(alerts, subject, 'door-open-too-long')
  return row({
    subject,
    state: d.open ? 'open' : 'closed',
    tone: forced ? 'bad' : d.open ? 'warn' : 'ok',
    name: d.name,
    chip: state ?? '—',
    meta: [forced ? h('b', { class: 'flag' }, t('door.forced')) : null, tooLong ? h('b', { class: 'flag' }, t('door.tooLong')) : null, since(d.since, tz)],
  })
}

/**
 * @param {import('./api.js').Key} k
 * @param {string} tz
 * @param {Alert[]} alerts
 */
function keyRow(k, tz, alerts) {
  const subject = `key:${k.id}`
  const holder = k.holder && has(`holder.${k.holder}`) ? h('span', { class: 'holder' }, t(`holder.${k.holder}`)) : null
  if (k.stale) {
    const last = k.present === null ? null : t(k.present ? 'key.in' : 'key.out')
    return row({ subject, state: 'stale', tone: 'stale', name: k.name, chip: last === null ? t('board.stale') : `? ${last}`, meta: [holder, since(k.since, tz)] })
  }
  if (k.present) return row({ subject, state: 'in', tone: 'ok', name: k.name, chip: t('key.in'), meta: [holder, k.slot ? h('span', null, t('key.slot', { slot: k.slot })) : null] })
  const overdue = hasAlert(alerts, subject, 'key-overdue')
  return row({
    subject,
    state: overdue ? 'overdue' : 'out',
    tone: overdue ? 'bad' : 'warn',
    name: k.name,
    chip: t(overdue ? 'key.overdue' : 'key.out'),
    meta: [h('b', { class: 'who' }, k.takenBy ? t('key.takenBy', { who: k.takenBy }) : t('key.unknownTaker')), since(k.since, tz)],
  })
}

/**
 * A device on one line; the station's own prefix is left off its id (the full id is the tooltip).
 * @param {import('./api.js').Device} d
 * @param {string} station
 */
function deviceRow(d, station) {
  const short = d.id.startsWith(`${station}-`) ? d.id.slice(station.length + 1) : d.id
  const low = d.battery !== undefined && d.battery < BATTERY_LOW
  const chip = [t(d.online ? 'device.online' : 'device.offline'), d.battery !== undefined ? `${d.battery}%` : null, d.tamper ? t('device.tamper') : null].filter(Boolean).join(' · ')
  return h(
    'li',
    { class: `wall-row wall-device tone-${d.tamper ? 'bad' : !d.online ? 'off' : low ? 'warn' : 'ok'}`, 'data-key': `device:${d.id}`, title: d.id, dataset: { subject: `device:${d.id}`, state: d.online ? 'online' : 'offline' } },
    h('span', { class: 'name' }, short),
    h('span', { class: 'chip' }, chip),
  )
}

/**
 * Every item, by category, in as many columns as the width allows.
 * @param {StationStatus} s
 * @param {Alert[]} alerts
 */
function equipment(s, alerts) {
  const groups = byCategory(s.equipment)
  return h(
    'section',
    { class: 'wall-panel wall-equipment', 'data-key': 'equipment' },
    h('h2', null, t('board.equipment')),
    h(
      'div',
      { class: 'wall-categories' },
      [...groups].map(([category, items]) =>
        h('div', { class: 'wall-cat', 'data-key': category, dataset: { category } }, h('h3', null, categoryName(category)), h('ul', { class: 'wall-rows' }, items.map((e) => itemRow(e, alerts)))),
      ),
    ),
  )
}

/**
 * @param {import('./api.js').Item} e
 * @param {Alert[]} alerts
 */
function itemRow(e, alerts) {
  const subject = `item:${e.id}`
  const counted = e.min !== undefined
  const pro = e.kind === 'professional'
  /** @param {string} state @param {Tone} tone @param {string} chip */
  const line = (state, tone, chip) =>
    h('li', { class: `wall-row wall-item tone-${tone}${pro ? ' pro' : ''}`, 'data-key': subject, dataset: { subject, state } }, h('span', { class: 'name' }, e.name), h('span', { class: 'chip' }, chip))
  const value = counted ? (e.count === null || e.count === undefined ? null : t('wall.count', { count: e.count, min: e.min ?? 0 })) : e.present === null || e.present === undefined ? null : t(e.present ? 'item.present' : 'item.absent')
  if (e.stale) return line('stale', 'stale', value === null ? t('board.stale') : `? ${value}`)
  if (counted) {
    const low = (e.count ?? 0) < (e.min ?? 0)
    return line(low ? 'low' : 'ok', low ? 'warn' : 'ok', value ?? '—')
  }
  if (e.present) return line('present', 'ok', t('item.present'))
  return line('absent', pro || hasAlert(alerts, subject, 'equipment-missing') ? 'bad' : 'warn', t('item.absent'))
}

/**
 * Real alerts first (critical, then warning, then info; newest first within), drills after.
 * @param {Alert[]} alerts
 * @param {string} tz
 */
function alertPanel(alerts, tz) {
  const sorted = [...alerts].sort((a, b) => Number(!!a.drill) - Number(!!b.drill) || Number(a.state !== 'active') - Number(b.state !== 'active') || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.openedAt - a.openedAt)
  return h(
    'section',
    { class: `wall-panel wall-alerts wall-capped${sorted.length ? '' : ' none'}`, 'data-key': 'alerts' },
    h('h2', null, t('wall.alerts'), ' ', h('span', { class: 'count', 'data-testid': 'wall-alert-count' }, String(alerts.filter((a) => !a.drill).length))),
    sorted.length
      ? h('ul', { class: 'wall-alert-list' }, sorted.map((a) => alertItem(a, tz)))
      : h('p', { class: 'wall-no-alerts', 'data-testid': 'wall-no-alerts' }, t('wall.noAlerts')),
    h('p', { class: 'wall-more', 'data-testid': 'wall-more', hidden: true }),
  )
}

/**
 * @param {Alert} a
 * @param {string} tz
 */
function alertItem(a, tz) {
  return h(
    'li',
    { class: `wall-alert sev-${a.severity} state-${a.state}${a.drill ? ' drill' : ''}`, 'data-key': a.id, dataset: { alertId: a.id, severity: a.severity, state: a.state } },
    h('span', { class: 'tags' }, a.drill ? h('b', { class: 'drill-badge' }, t('alerts.drill')) : null, h('b', { class: 'sev' }, t(`alerts.sev.${a.severity}`)), a.state === 'acknowledged' ? h('span', { class: 'acked' }, a.ackedBy ? t('wall.ackedBy', { who: a.ackedBy }) : t('alerts.state.acknowledged')) : null),
    h('strong', { class: 'title' }, alertTitle(a)),
    h('span', { class: 'when' }, t('wall.since', { time: formatTime(a.openedAt, tz), d: formatDuration(Date.now() - a.openedAt) })),
  )
}

/**
 * Shows as many alerts (and readiness reasons) as their column has room for and says how many more
 * there are, so that the screen never needs scrolling however many are open; the first always stays.
 * @param {ParentNode} root
 */
export function capLists(root) {
  for (const panel of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('.wall-capped'))) {
    const list = panel.querySelector('ul')
    const more = /** @type {HTMLElement | null} */ (panel.querySelector('.wall-more'))
    if (!list || !more) continue
    const items = /** @type {HTMLElement[]} */ ([...list.children])
    for (const li of items) li.hidden = false
    more.hidden = true
    const limit = panel.getBoundingClientRect().bottom - parseFloat(getComputedStyle(panel).paddingBottom) + 0.5
    const overflows = () => (more.hidden ? list : more).getBoundingClientRect().bottom > limit
    for (let i = items.length - 1; i > 0 && overflows(); i--) {
      /** @type {HTMLElement} */ (items[i]).hidden = true
      more.hidden = false
      more.textContent = t('wall.more', { n: items.length - i })
    }
  }
}
