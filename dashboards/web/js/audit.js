// The audit trail: who did what to which door, key or item, and when; filtered, and downloadable as CSV.
import { api } from './api.js'
import { h, replace } from './dom.js'
import { has, t } from './i18n.js'
import { formatDateTime } from './format.js'
import { rangeControls, resolveRange } from './range.js'
import { selectedStation, zoneOf } from './store.js'

/**
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {import('./api.js').AuditEvent} AuditEvent
 */

const LIMIT = 500

/** @type {Record<string, string>} */
const KIND_GROUPS = {
  door: 'door-opened,door-closed',
  key: 'key-taken,key-returned',
  item: 'item-removed,item-returned,count-changed',
  device: 'device-online,device-offline',
  alert: 'alert-opened,alert-acknowledged,alert-resolved,alert-escalated',
  incident: 'incident-opened,incident-closed',
}

let filter = { subject: '', kinds: '', user: '', range: { preset: '24h', from: 0, to: 0 } }
/** @type {AbortController | null} */
let loading = null

/** @param {HTMLElement} root */
export async function renderAudit(root) {
  const station = selectedStation()
  if (!station) return replace(root, h('p', { class: 'empty' }, t('conn.connecting')))
  const tz = zoneOf(station)
  const subject = /** @type {HTMLSelectElement} */ (h('select', { name: 'subject' }, h('option', { value: '' }, t('audit.all')), subjectOptions(station)))
  subject.value = filter.subject
  const kinds = /** @type {HTMLSelectElement} */ (h('select', { name: 'kind' }, h('option', { value: '' }, t('audit.all')), Object.entries(KIND_GROUPS).map(([g, v]) => h('option', { value: v }, t(`audit.group.${g}`)))))
  kinds.value = filter.kinds
  const user = /** @type {HTMLInputElement} */ (h('input', { type: 'search', name: 'user', value: filter.user, placeholder: t('audit.personPlaceholder'), autocomplete: 'off' }))
  const params = () => {
    const { from, to } = resolveRange(filter.range)
    return { subject: filter.subject || undefined, kind: filter.kinds || undefined, user: filter.user || undefined, from, to, limit: LIMIT }
  }
  const csv = /** @type {HTMLAnchorElement} */ (h('a', { class: 'btn secondary', 'data-action': 'csv', href: api.eventsCsvUrl(station.id, params()), download: `${station.id}-events.csv` }, t('audit.csv')))
  const body = h('div', { class: 'audit-body' }, h('p', { class: 'empty' }, t('history.loading')))
  replace(
    root,
    h('h2', null, t('audit.title')),
    rangeControls(
      filter.range,
      tz,
      (r) => {
        filter = { subject: subject.value, kinds: kinds.value, user: user.value.trim(), range: r }
        renderAudit(root)
      },
      [h('label', null, t('audit.subject'), ' ', subject), h('label', null, t('audit.kind'), ' ', kinds), h('label', null, t('audit.person'), ' ', user)],
    ),
    h('div', { class: 'audit-tools' }, csv),
    body,
  )
  loading?.abort()
  const ctl = new AbortController()
  loading = ctl
  try {
    const events = await api.events(station.id, params(), ctl.signal)
    if (!ctl.signal.aborted) replace(body, eventTable(events, station, tz))
  } catch (err) {
    if (!ctl.signal.aborted) replace(body, h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
  }
}

/** @param {StationStatus} s */
function subjectOptions(s) {
  return [
    h('optgroup', { label: t('audit.group.door') }, s.doors.map((d) => h('option', { value: `door:${d.id}` }, d.name))),
    h('optgroup', { label: t('audit.group.key') }, s.keys.map((k) => h('option', { value: `key:${k.id}` }, k.name))),
    h('optgroup', { label: t('audit.group.item') }, s.equipment.map((e) => h('option', { value: `item:${e.id}` }, e.name))),
    h('optgroup', { label: t('audit.group.device') }, s.devices.map((d) => h('option', { value: `device:${d.id}` }, d.id))),
  ]
}

/**
 * @param {StationStatus} s
 * @param {string} subject
 */
function subjectName(s, subject) {
  const i = subject.indexOf(':')
  const [type, id] = [subject.slice(0, i), subject.slice(i + 1)]
  if (type === 'device') return id
  const list = type === 'door' ? s.doors : type === 'key' ? s.keys : type === 'item' ? s.equipment : undefined
  return list?.find((x) => x.id === id)?.name ?? subject
}

/**
 * @param {AuditEvent[]} events
 * @param {StationStatus} s
 * @param {string} tz
 */
function eventTable(events, s, tz) {
  if (!events.length) return h('p', { class: 'empty', 'data-testid': 'no-events' }, t('audit.none'))
  const cols = ['time', 'event', 'subject', 'person', 'device', 'detail']
  return h(
    'div',
    null,
    events.length >= LIMIT ? h('p', { class: 'note' }, t('audit.shown', { n: LIMIT })) : null,
    h(
      'table',
      { class: 'audit-table' },
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, t(`audit.col.${c}`))))),
      h(
        'tbody',
        null,
        events.map((e) =>
          h(
            'tr',
            { dataset: { kind: e.kind, subject: e.subject } },
            h('td', { 'data-label': t('audit.col.time') }, formatDateTime(e.t, tz)),
            h('td', { 'data-label': t('audit.col.event') }, has(`event.${e.kind}`) ? t(`event.${e.kind}`) : e.kind),
            h('td', { 'data-label': t('audit.col.subject') }, subjectName(s, e.subject)),
            h('td', { 'data-label': t('audit.col.person') }, e.user ?? ''),
            h('td', { 'data-label': t('audit.col.device') }, e.device),
            h('td', { 'data-label': t('audit.col.detail') }, [e.kind === 'count-changed' ? String(e.value ?? '') : '', e.detail ?? ''].filter(Boolean).join(' · ')),
          ),
        ),
      ),
    ),
  )
}
