// An alert's notification log in its card: "企业微信群 20:31 已发送 · 短信 张三 20:36 已发送".
// Loaded when the alert first shows and again whenever it changes; messages follow an alert's
// changes by a moment, and later steps come with no change at all, so open alerts are also
// looked at again a little later and then every REFRESH_MS.
import { api } from './api.js'
import { h } from './dom.js'
import { has, t } from './i18n.js'
import { formatTime } from './format.js'
import { store, zoneOf } from './store.js'

/** @typedef {import('./api.js').Alert} Alert */
/** @typedef {import('./api.js').Delivery} Delivery */

const REFRESH_MS = 15_000
/** after a change: once at once, then when the first messages have likely gone out */
const FOLLOW_UP_MS = [1_500, 5_000]

/** @type {Map<string, { version: string, rows: Delivery[] | null, timers: ReturnType<typeof setTimeout>[] }>} */
const logs = new Map()
/** @type {() => void} */
let redraw = () => {}
/** @type {ReturnType<typeof setInterval> | undefined} */
let refresher

/** @param {Alert} a */
const versionOf = (a) => `${a.state}|${a.escalated}|${a.ackedAt ?? ''}`

/**
 * The log line of one alert; asks for it when the alert is new or changed.
 * @param {Alert} a
 * @param {() => void} rerender draws the alert list again
 */
export function deliveryLog(a, rerender) {
  redraw = rerender
  let entry = logs.get(a.id)
  if (!entry || entry.version !== versionOf(a)) {
    for (const timer of entry?.timers ?? []) clearTimeout(timer)
    entry = { version: versionOf(a), rows: entry?.rows ?? null, timers: FOLLOW_UP_MS.map((ms) => setTimeout(() => load(a.id), ms)) }
    logs.set(a.id, entry)
    load(a.id)
    startRefreshing()
  }
  const rows = entry.rows
  if (!rows) return null
  const tz = zoneOf(store.stations.get(a.station))
  const shown = latestPerTarget(rows)
  return h(
    'p',
    { class: 'deliveries', 'data-testid': 'deliveries' },
    h('span', { class: 'label' }, t('notify.log'), '：'),
    shown.length
      ? shown.flatMap((r, i) => [
          i ? ' · ' : null,
          h('span', { class: `delivery status-${r.status}`, dataset: { channel: r.channel, status: r.status }, title: r.error ? `${r.channel}: ${r.error}` : r.channel }, deliveryText(r, tz)),
        ])
      : h('span', { class: 'none' }, t('notify.none')),
  )
}

/**
 * "短信 张三 20:36 已发送"
 * @param {Delivery} r
 * @param {string} tz
 */
function deliveryText(r, tz) {
  const channel = r.channelType && has(`notify.type.${r.channelType}`) ? t(`notify.type.${r.channelType}`) : r.channel
  const who = r.toName ?? r.to
  return [channel, who, formatTime(r.at, tz), t(`notify.status.${r.status}`)].filter(Boolean).join(' ')
}

/**
 * A retry or a repeat replaces the row before it: one entry per step, channel and person, in the order they happened.
 * @param {Delivery[]} rows
 */
function latestPerTarget(rows) {
  /** @type {Map<string, Delivery>} */
  const last = new Map()
  for (const r of rows) {
    const key = `${r.step}|${r.channel}|${r.to ?? ''}`
    last.delete(key)
    last.set(key, r)
  }
  return [...last.values()]
}

/** @param {string} id */
async function load(id) {
  try {
    const rows = await api.notifications(id)
    const entry = logs.get(id)
    if (!entry) return
    const changed = JSON.stringify(entry.rows) !== JSON.stringify(rows)
    entry.rows = rows
    if (changed) redraw()
  } catch {
    // shown again at the next refresh; a failed look-up is no reason to disturb the list
  }
}

function startRefreshing() {
  if (refresher) return
  refresher = setInterval(() => {
    for (const [id, entry] of logs) {
      if (store.alerts.has(id)) continue
      for (const timer of entry.timers) clearTimeout(timer)
      logs.delete(id)
    }
    if (!store.user || document.hidden) return
    for (const id of logs.keys()) load(id)
  }, REFRESH_MS)
}
