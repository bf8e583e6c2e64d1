// The station board: readiness, doors, keys, equipment and devices of the selected station.
// "Stale" (the device is offline or never reported) is shown as "cannot confirm" with the last
// known value, styled apart from "missing".
import { api, can } from './api.js'
import { ask, toast } from './dialog.js'
import { h, patch } from './dom.js'
import { has, reasonText, t } from './i18n.js'
import { byCategory, categoryName, formatDuration, formatTime } from './format.js'
import { withLedger } from './ledger-badges.js'
import { openAlerts, selectedStation, store, zoneOf } from './store.js'

/**
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {import('./api.js').Alert} Alert
 */

const BATTERY_LOW = 20

/** @param {HTMLElement} root */
export function renderBoard(root) {
  const station = selectedStation()
  if (!station) {
    patch(root, h('p', { class: 'empty' }, store.link.state === 'live' ? t('app.noStations') : t('conn.connecting')))
    return
  }
  const tz = zoneOf(station)
  const alerts = alertsBySubject(station.id)
  patch(
    root,
    h('div', { class: 'board-top', 'data-key': `top:${station.id}` }, readinessCard(station), incidentCard(station, tz)),
    h(
      'div',
      { class: 'board-grid', 'data-key': `grid:${station.id}` },
      card('doors', t('board.doors'), station.doors.map((d) => doorRow(d, tz, alerts))),
      card('keys', t('board.keys'), station.keys.map((k) => keyRow(k, tz, alerts))),
      equipmentCard(station, tz, alerts),
      card('devices', t('board.devices'), station.devices.map((d) => deviceRow(d, tz))),
    ),
  )
}

/** Keeps every "for 5 min" current between updates. @param {ParentNode} root */
export function refreshDurations(root) {
  for (const el of root.querySelectorAll('[data-since]')) {
    el.textContent = t('board.for', { d: formatDuration(Date.now() - Number(/** @type {HTMLElement} */ (el).dataset.since)) })
  }
}

/** @param {string} station */
function alertsBySubject(station) {
  /** @type {Map<string, Alert[]>} */
  const map = new Map()
  for (const a of openAlerts(station)) map.set(a.subject, [...(map.get(a.subject) ?? []), a])
  return map
}

/**
 * @param {Map<string, Alert[]>} alerts
 * @param {string} subject
 * @param {string} rule
 */
function hasAlert(alerts, subject, rule) {
  return (alerts.get(subject) ?? []).some((a) => a.rule === rule)
}

/** @param {StationStatus} s */
function readinessCard(s) {
  return h(
    'section',
    { class: `card readiness level-${s.level}`, 'aria-live': 'polite' },
    h('div', { class: 'readiness-figure' }, h('span', { class: 'readiness-label' }, t('board.readiness')), h('span', { class: 'readiness-value', 'data-testid': 'readiness' }, String(s.readiness)), h('span', { class: 'readiness-pct' }, '%')),
    h('div', { class: 'readiness-detail' }, h('span', { class: 'level-badge', 'data-testid': 'level', dataset: { level: s.level } }, t(`level.${s.level}`)), s.reasonCodes.length ? h('ul', { class: 'reasons' }, s.reasonCodes.map((r, i) => h('li', null, reasonText(r, s.reasons[i] ?? r.code)))) : h('p', { class: 'reasons-none' }, t('board.allGood'))),
  )
}

/**
 * @param {StationStatus} s
 * @param {string} tz
 */
function incidentCard(s, tz) {
  const responder = can(store.user, 'responder')
  const inc = s.incident
  if (!inc) {
    if (!responder) return null
    return h('section', { class: 'card incident incident-none' }, h('h2', null, t('incident.title')), h('small', null, t('incident.noneHint')), h('button', { type: 'button', class: 'btn', 'data-action': 'open-incident', 'data-station': s.id, onclick: () => openIncident(s.id) }, t('incident.open')))
  }
  return h(
    'section',
    { class: 'card incident incident-open', 'data-testid': 'incident' },
    h('strong', null, t('incident.active')),
    h('span', null, t('incident.openedBy', { who: inc.openedBy, time: formatTime(inc.openedAt, tz) })),
    inc.note ? h('q', null, inc.note) : null,
    h('small', null, t('incident.hint')),
    responder ? h('button', { type: 'button', class: 'btn', 'data-action': 'close-incident', 'data-incident': inc.id, onclick: () => closeIncident(inc.id) }, t('incident.close')) : null,
  )
}

/** @param {string} station */
async function openIncident(station) {
  const answer = await ask({ title: t('incident.openTitle'), note: { label: t('incident.openHelp') }, confirm: t('incident.open') })
  if (!answer) return
  try {
    await api.openIncident(station, answer.note)
  } catch (err) {
    toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
  }
}

/** @param {string} id */
async function closeIncident(id) {
  const answer = await ask({ title: t('incident.close'), text: t('incident.closeConfirm'), confirm: t('incident.close') })
  if (!answer) return
  try {
    await api.closeIncident(id)
  } catch (err) {
    toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
  }
}

/**
 * @param {string} kind
 * @param {string} title
 * @param {Node[]} rows
 */
function card(kind, title, rows) {
  return h('section', { class: `card list-card ${kind}`, 'data-key': kind }, h('h2', null, title), h('ul', { class: 'rows' }, rows))
}

/**
 * One line: name, a status chip, and what explains it (since when, who).
 * @param {{ subject: string, state: string, tone: 'ok' | 'warn' | 'bad' | 'stale' | 'off', name: string, chip: string, extra?: (Node | string | null)[] }} o
 */
function row(o) {
  return h(
    'li',
    { class: `row tone-${o.tone}`, 'data-key': o.subject, dataset: { subject: o.subject, state: o.state } },
    h('span', { class: 'name' }, o.name),
    h('span', { class: 'chip' }, o.chip),
    h('span', { class: 'meta' }, ...(o.extra ?? [])),
  )
}

/**
 * "since 14:03 · for 5 min"
 * @param {number | null} since
 * @param {string} tz
 */
function sinceText(since, tz) {
  if (since === null) return [h('span', null, t('board.neverReported'))]
  return [h('span', null, t('board.since', { time: formatTime(since, tz) })), h('span', { class: 'dur', dataset: { since: String(since) } }, t('board.for', { d: formatDuration(Date.now() - since) }))]
}

/**
 * The "cannot confirm" line: the last known value, never presented as the current one.
 * @param {string} subject
 * @param {string} name
 * @param {string | null} lastKnown
 * @param {number | null} since
 * @param {string} tz
 * @param {Node | null} [lead] shown first in the details
 */
function staleRow(subject, name, lastKnown, since, tz, lead = null) {
  return row({
    subject,
    state: 'stale',
    tone: 'stale',
    name,
    chip: t('board.stale'),
    extra: [lead, lastKnown === null ? h('span', null, t('board.neverReported')) : h('span', null, t('board.lastKnown', { v: lastKnown })), since !== null ? h('span', null, t('board.since', { time: formatTime(since, tz) })) : null, h('span', { class: 'sr-hint', title: t('board.staleHint') }, 'ⓘ')],
  })
}

/**
 * @param {import('./api.js').Door} d
 * @param {string} tz
 * @param {Map<string, Alert[]>} alerts
 */
function doorRow(d, tz, alerts) {
  const subject = `door:${d.id}`
  const forced = hasAlert(alerts, subject, 'door-forced')
  if (d.stale) return staleRow(subject, d.name, d.open === null ? null : t(d.open ? 'door.open' : 'door.closed'), d.since, tz)
  const tooLong = hasAlert(alerts, subject, 'door-open-too-long')
  return row({
    subject,
    state: d.open ? 'open' : 'closed',
    tone: forced ? 'bad' : d.open ? 'warn' : 'ok',
    name: d.name,
    chip: t(d.open ? 'door.open' : 'door.closed'),
    extra: [forced ? h('b', { class: 'flag' }, t('door.forced')) : null, tooLong ? h('b', { class: 'flag' }, t('door.tooLong')) : null, ...sinceText(d.since, tz)],
  })
}

/**
 * @param {import('./api.js').Key} k
 * @param {string} tz
 * @param {Map<string, Alert[]>} alerts
 */
function keyRow(k, tz, alerts) {
  const subject = `key:${k.id}`
  const name = k.name
  const holder = k.holder && has(`holder.${k.holder}`) ? h('span', { class: 'holder' }, t(`holder.${k.holder}`)) : null
  if (k.stale) return staleRow(subject, name, k.present === null ? null : t(k.present ? 'key.in' : 'key.out'), k.since, tz)
  if (k.present) return row({ subject, state: 'in', tone: 'ok', name, chip: t('key.in'), extra: [k.slot ? h('span', null, t('key.slot', { slot: k.slot })) : null, holder] })
  const overdue = hasAlert(alerts, subject, 'key-overdue')
  return row({
    subject,
    state: overdue ? 'overdue' : 'out',
    tone: overdue ? 'bad' : 'warn',
    name,
    chip: overdue ? t('key.overdue') : t('key.out'),
    extra: [h('b', { class: 'who' }, k.takenBy ? t('key.takenBy', { who: k.takenBy }) : t('key.unknownTaker')), ...sinceText(k.since, tz), holder],
  })
}

/**
 * @param {StationStatus} s
 * @param {string} tz
 * @param {Map<string, Alert[]>} alerts
 */
function equipmentCard(s, tz, alerts) {
  const groups = byCategory(s.equipment)
  return h(
    'section',
    { class: 'card list-card equipment', 'data-key': 'equipment' },
    h('h2', null, t('board.equipment')),
    // categories side by side, as many as the card's width allows (css: .groups columns)
    h(
      'div',
      { class: 'groups' },
      [...groups].map(([category, items]) =>
        h('div', { class: 'group', 'data-key': category, dataset: { category } }, h('h3', null, categoryName(category)), h('ul', { class: 'rows' }, items.map((e) => withLedger(itemRow(e, tz, alerts), s.id, e)))),
      ),
    ),
  )
}

/**
 * @param {import('./api.js').Item} e
 * @param {string} tz
 * @param {Map<string, Alert[]>} alerts
 */
function itemRow(e, tz, alerts) {
  const subject = `item:${e.id}`
  const counted = e.min !== undefined
  const name = e.name
  const pro = e.kind === 'professional' ? h('span', { class: 'pro' }, t('item.professional')) : null
  if (e.stale) {
    const last = counted ? (e.count === null || e.count === undefined ? null : t('item.count', { count: e.count, min: e.min ?? 0 })) : e.present === null || e.present === undefined ? null : t(e.present ? 'item.present' : 'item.absent')
    return staleRow(subject, name, last, e.since, tz, pro)
  }
  if (counted) {
    const low = (e.count ?? 0) < (e.min ?? 0)
    return row({ subject, state: low ? 'low' : 'ok', tone: low ? 'warn' : 'ok', name, chip: t('item.count', { count: e.count ?? 0, min: e.min ?? 0 }), extra: [pro, low ? h('b', { class: 'flag' }, t('item.low')) : null, ...sinceText(e.since, tz)] })
  }
  if (e.present) return row({ subject, state: 'present', tone: 'ok', name, chip: t('item.present'), extra: [pro] })
  const alerted = hasAlert(alerts, subject, 'equipment-missing')
  return row({ subject, state: 'absent', tone: e.kind === 'professional' || alerted ? 'bad' : 'warn', name, chip: t('item.absent'), extra: [pro, ...sinceText(e.since, tz)] })
}

/**
 * @param {import('./api.js').Device} d
 * @param {string} tz
 */
function deviceRow(d, tz) {
  const type = has(`device.type.${d.type}`) ? t(`device.type.${d.type}`) : d.type
  const lowBattery = d.battery !== undefined && d.battery < BATTERY_LOW
  return row({
    subject: `device:${d.id}`,
    state: d.online ? 'online' : 'offline',
    tone: d.tamper ? 'bad' : !d.online ? 'off' : lowBattery ? 'warn' : 'ok',
    name: d.id,
    chip: t(d.online ? 'device.online' : 'device.offline'),
    extra: [
      h('span', null, type),
      d.battery !== undefined ? h('span', { class: lowBattery ? 'battery low' : 'battery' }, t('device.battery', { n: d.battery })) : null,
      d.tamper ? h('b', { class: 'flag' }, t('device.tamper')) : null,
      d.lastSeen !== null ? h('span', null, t('device.lastSeen', { time: formatTime(d.lastSeen, tz) })) : h('span', null, t('board.neverReported')),
    ],
  })
}
