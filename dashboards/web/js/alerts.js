// Open alerts (active and acknowledged), newest first, coloured by severity; acknowledge and
// resolve with a note for responders; a siren and a notification for critical ones.
import { askForNotifications, audioReady, notificationsSupported, notify, playSiren, unlockAudio } from './alarm.js'
import { api, can } from './api.js'
import { deliveryLog } from './deliveries.js'
import { ask, toast } from './dialog.js'
import { h, patch } from './dom.js'
import { has, t } from './i18n.js'
import { formatDuration, formatTime } from './format.js'
import { notifyPanel } from './notify-panel.js'
import { applyAlert, openAlerts, store, zoneOf } from './store.js'
import { batchLabel } from './ledger-data.js'
import { inspectionLabel } from './routine-data.js'

/** @typedef {import('./api.js').Alert} Alert */

/** While a critical alert stays unacknowledged, the siren sounds again this often. */
const REPEAT_MS = 30_000

/** alert id + escalation already announced, so a reconnect's snapshot does not announce it twice */
const announced = new Set()
let muted = false

/** @param {HTMLElement} root */
export function renderAlerts(root) {
  // Drills are kept apart from real alerts (contract §10): their own group, not in the count.
  const alerts = openAlerts().filter((a) => !a.drill)
  const drills = openAlerts().filter((a) => a.drill)
  const several = store.stations.size > 1
  const rerender = () => renderAlerts(root)
  patch(
    root,
    h('div', { class: 'alerts-head' }, h('h2', null, t('alerts.title'), ' ', h('span', { class: 'count' }, String(alerts.length))), alarmControls(root)),
    alerts.length ? h('ul', { class: 'alert-list' }, alerts.map((a) => alertItem(a, several, rerender))) : h('p', { class: 'empty', 'data-testid': 'no-alerts' }, t('alerts.none')),
    drills.length ? h('h3', { class: 'alerts-drill-head', 'data-testid': 'drill-alerts-head' }, t('alerts.drills'), ' ', h('span', { class: 'count' }, String(drills.length))) : null,
    drills.length ? h('ul', { class: 'alert-list drill-alerts', 'data-testid': 'drill-alerts' }, drills.map((a) => alertItem(a, several, rerender))) : null,
    can(store.user, 'admin') ? notifyPanel(rerender) : null,
  )
}

/** @param {HTMLElement} root */
function alarmControls(root) {
  const rerender = () => renderAlerts(root)
  return h(
    'div',
    { class: 'alarm-controls' },
    audioReady()
      ? h('button', { type: 'button', class: 'btn small secondary toggle', 'data-action': 'mute', 'aria-pressed': String(muted), title: t('alerts.muteHint'), onclick: () => ((muted = !muted), rerender()) }, t('alerts.mute'))
      : h('button', { type: 'button', class: 'btn small', 'data-action': 'enable-sound', onclick: () => (unlockAudio(), (muted = false), setTimeout(rerender, 100)) }, t('alerts.sound')),
    notificationsSupported() && Notification.permission === 'default'
      ? h('button', { type: 'button', class: 'btn small', 'data-action': 'enable-notifications', onclick: () => askForNotifications().then(rerender) }, t('alerts.notify'))
      : null,
  )
}

/**
 * @param {Alert} a
 * @param {boolean} showStation
 * @param {() => void} rerender
 */
function alertItem(a, showStation, rerender) {
  const station = store.stations.get(a.station)
  const tz = zoneOf(station)
  const responder = can(store.user, 'responder')
  return h(
    'li',
    { class: `alert sev-${a.severity} state-${a.state}${a.escalated ? ' escalated' : ''}${a.drill ? ' drill' : ''}`, 'data-key': a.id, dataset: { alertId: a.id, severity: a.severity, state: a.state, rule: a.rule, drill: String(!!a.drill) } },
    h(
      'div',
      { class: 'alert-tags' },
      a.drill ? h('span', { class: 'drill-badge', 'data-testid': 'drill-badge' }, t('alerts.drill')) : null,
      h('span', { class: 'sev' }, t(`alerts.sev.${a.severity}`)),
      h('span', { class: 'state' }, t(`alerts.state.${a.state}`)),
      a.escalated ? h('span', { class: 'esc' }, t('alerts.escalated')) : null,
      showStation && station ? h('span', { class: 'station' }, station.name) : null,
    ),
    h('strong', { class: 'title', title: a.message }, alertTitle(a)),
    h('span', { class: 'when' }, t('alerts.opened', { time: formatTime(a.openedAt, tz) }), ' · ', h('span', { dataset: { since: String(a.openedAt) } }, t('board.for', { d: formatDuration(Date.now() - a.openedAt) }))),
    a.state === 'acknowledged' && a.ackedBy ? h('span', { class: 'acked' }, t('alerts.ackedBy', { who: a.ackedBy, time: formatTime(a.ackedAt ?? null, tz) }), a.ackNote ? h('q', null, a.ackNote) : null) : null,
    deliveryLog(a, rerender),
    responder
      ? h(
          'div',
          { class: 'actions' },
          a.state === 'active' ? h('button', { type: 'button', class: 'btn', 'data-action': 'ack', 'data-alert': a.id, onclick: () => act(a.id, 'ack') }, t('alerts.ack')) : null,
          h('button', { type: 'button', class: 'btn secondary', 'data-action': 'resolve', 'data-alert': a.id, onclick: () => act(a.id, 'resolve') }, t('alerts.resolve')),
        )
      : null,
  )
}

/**
 * "正门 被强行打开": the rule in the chosen language around the subject's configured name.
 * @param {Alert} a
 */
export function alertTitle(a) {
  const key = `rule.${a.rule}`
  // A drill names no real subject: its own message (marked 演练) says what is being drilled.
  if (a.drill || !has(key)) return a.message
  return t(key, { name: subjectName(a.station, a.subject) })
}

/**
 * @param {string} stationId
 * @param {string} subject door:main, key:…, item:…, device:…
 */
function subjectName(stationId, subject) {
  const s = store.stations.get(stationId)
  const [type, id] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)]
  if (type === 'batch') return batchLabel(id)
  if (type === 'inspection') return inspectionLabel(stationId, id)
  const list = type === 'door' ? s?.doors : type === 'key' ? s?.keys : type === 'item' ? s?.equipment : undefined
  return list?.find((x) => x.id === id)?.name ?? id
}

/**
 * @param {string} id
 * @param {'ack' | 'resolve'} action
 */
async function act(id, action) {
  const a = store.alerts.get(id)
  if (!a) return
  const answer = await ask({
    title: t(action === 'ack' ? 'alerts.ackTitle' : 'alerts.resolveTitle'),
    text: alertTitle(a),
    note: { label: t('alerts.noteLabel'), placeholder: t('alerts.notePlaceholder') },
    confirm: t(action === 'ack' ? 'alerts.ack' : 'alerts.resolve'),
  })
  if (!answer) return
  try {
    applyAlert(await (action === 'ack' ? api.ack(a.id, answer.note) : api.resolve(a.id, answer.note)))
  } catch (err) {
    toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
  }
}

/** Every alert the live connection delivers passes here: a new or escalated critical one is announced once. @param {Alert} a */
export function announce(a) {
  if (a.severity !== 'critical' || a.state !== 'active') return
  const key = `${a.id}:${a.escalated ? 'escalated' : 'opened'}`
  if (announced.has(key)) return
  announced.add(key)
  muted = false
  playSiren()
  const station = store.stations.get(a.station)
  notify(t(a.escalated ? 'alerts.escalatedTitle' : 'alerts.notifyTitle', { station: station?.name ?? a.station }), alertTitle(a), a.id)
}

/** Sounds again while a critical alert waits for someone to acknowledge it. */
export function startAlarmRepeat() {
  setInterval(() => {
    if (!muted && store.link.state === 'live' && openAlerts().some((a) => a.severity === 'critical' && a.state === 'active')) playSiren()
  }, REPEAT_MS)
}
