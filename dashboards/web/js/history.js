// History charts (uPlot, served by the service at /vendor/uplot): door-open periods, key custody
// and counted stock over a chosen range, in the station's time zone.
import { api, can } from './api.js'
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { formatDuration, formatTick, formatTime } from './format.js'
import { rangeControls, resolveRange } from './range.js'
import { selectedStation, store, zoneOf } from './store.js'

/**
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {{ t: number, v: boolean | number | null }} Point
 */

/** Counted stock over long ranges is asked for in buckets; doors and keys never (a short opening must show). */
const MAX_COUNT_POINTS = 2000

/** @type {AbortController | null} */
let loading = null
/** @type {{ setSize(s: { width: number, height: number }): void, destroy(): void, root: HTMLElement }[]} */
let charts = []
let range = { preset: '24h', from: 0, to: 0 }

/** @param {HTMLElement} root */
export async function renderHistory(root) {
  const station = selectedStation()
  if (!station) return replace(root, h('p', { class: 'empty' }, t('conn.connecting')))
  const tz = zoneOf(station)
  const body = h('div', { class: 'history-body' }, h('p', { class: 'empty' }, t('history.loading')))
  replace(
    root,
    h('h2', null, t('history.title')),
    rangeControls(range, tz, (r) => {
      range = r
      renderHistory(root)
    }),
    body,
  )
  await loadCharts(station, body)
}

/**
 * @param {StationStatus} station
 * @param {HTMLElement} body
 */
async function loadCharts(station, body) {
  loading?.abort()
  const ctl = new AbortController()
  loading = ctl
  const { from, to } = resolveRange(range)
  const tz = zoneOf(station)
  try {
    const [uPlot, doors, keys, stock, custody] = await Promise.all([
      loadUplot(),
      Promise.all(station.doors.map((d) => api.history(station.id, { subject: `door:${d.id}`, from, to }, ctl.signal))),
      Promise.all(station.keys.map((k) => api.history(station.id, { subject: `key:${k.id}`, from, to }, ctl.signal))),
      Promise.all(station.equipment.filter((e) => e.min !== undefined).map((e) => api.history(station.id, { subject: `item:${e.id}`, from, to, step: countStep(to - from) }, ctl.signal))),
      can(store.user, 'staff') ? api.events(station.id, { kind: 'key-taken,key-returned', from, to, limit: 10_000 }, ctl.signal) : Promise.resolve(null),
    ])
    if (ctl.signal.aborted) return
    destroyCharts()
    const counted = station.equipment.filter((e) => e.min !== undefined)
    replace(
      body,
      chartGroup(t('history.doors'), 'doors', station.doors.map((d, i) => ({ name: d.name, subject: `door:${d.id}`, points: withKnownStart(doors[i]?.points ?? [], d, d.open, from), kind: /** @type {const} */ ('door') }))),
      chartGroup(t('history.keys'), 'keys', station.keys.map((k, i) => ({ name: k.name, subject: `key:${k.id}`, points: withKnownStart(keys[i]?.points ?? [], k, k.present, from), kind: /** @type {const} */ ('key'), custody: custody ? custodyOf(custody, `key:${k.id}`, tz) : null }))),
      counted.length ? chartGroup(t('history.stock'), 'stock', counted.map((e, i) => ({ name: e.name, subject: `item:${e.id}`, points: withKnownStart(stock[i]?.points ?? [], e, e.count, from), kind: /** @type {const} */ ('count'), min: e.min }))) : null,
    )
    for (const el of body.querySelectorAll('[data-chart]')) drawChart(uPlot, /** @type {HTMLElement} */ (el), from, to, tz)
  } catch (err) {
    if (ctl.signal.aborted) return
    replace(body, h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
  }
}

/**
 * The history holds readings inside the range only. When the live state says the current value
 * has held since before the range began (and is confirmed), the range starts with that value.
 * @param {Point[]} points
 * @param {{ since: number | null, stale: boolean }} live
 * @param {boolean | number | null | undefined} value
 * @param {number} from
 */
function withKnownStart(points, live, value, from) {
  if (live.stale || live.since === null || live.since > from || value === null || value === undefined) return points
  if ((points[0]?.t ?? Infinity) <= from) return points
  return [{ t: from, v: value }, ...points]
}

/** @param {number} span ms */
function countStep(span) {
  const s = Math.ceil(span / MAX_COUNT_POINTS / 1000)
  return s > 60 ? `${s}s` : undefined
}

/** @type {WeakMap<HTMLElement, { name: string, points: Point[], kind: 'door' | 'key' | 'count', min?: number }>} */
const chartData = new WeakMap()

/**
 * @param {string} title
 * @param {string} kind
 * @param {{ name: string, subject: string, points: Point[], kind: 'door' | 'key' | 'count', min?: number, custody?: Node[] | null }[]} series
 */
function chartGroup(title, kind, series) {
  return h(
    'section',
    { class: `card chart-group ${kind}` },
    h('h2', null, title),
    series.map((s) => {
      const el = h('div', { class: 'chart', dataset: { chart: s.kind, subject: s.subject } })
      chartData.set(el, s)
      return h(
        'figure',
        { class: 'chart-figure' },
        h('figcaption', null, s.name),
        s.points.length ? el : h('p', { class: 'empty small' }, t('history.noData')),
        s.custody?.length ? h('ul', { class: 'custody' }, s.custody) : null,
      )
    }),
  )
}

/**
 * @param {any} uPlot
 * @param {HTMLElement} el
 * @param {number} from
 * @param {number} to
 * @param {string} tz
 */
function drawChart(uPlot, el, from, to, tz) {
  const s = chartData.get(el)
  if (!s) return
  const counted = s.kind === 'count'
  const xs = s.points.map((p) => p.t)
  /** @type {(number | null)[]} */
  const ys = s.points.map((p) => (p.v === null ? null : counted ? Number(p.v) : s.kind === 'key' ? (p.v ? 0 : 1) : p.v ? 1 : 0))
  // Before the first reading the value is unknown (a gap); the last one holds until the end of the range.
  if ((xs[0] ?? from) > from) (xs.unshift(from), ys.unshift(null))
  if ((xs[xs.length - 1] ?? to) < to) (xs.push(to), ys.push(ys[ys.length - 1] ?? null))
  const stepped = uPlot.paths.stepped({ align: 1 })
  const colour = counted ? '#1f6feb' : s.kind === 'door' ? '#d97706' : '#7c3aed'
  const labels = s.kind === 'door' ? [t('door.closed'), t('door.open')] : [t('key.in'), t('key.out')]
  const data = counted ? [xs, ys, xs.map(() => s.min ?? null)] : [xs, ys]
  const opts = {
    width: Math.max(240, el.clientWidth),
    height: counted ? 160 : 90,
    ms: 1,
    tzDate: (/** @type {number} */ ms) => uPlot.tzDate(new Date(ms), tz),
    legend: { show: counted },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, min: from, max: to }, y: counted ? { range: (/** @type {any} */ _u, /** @type {number} */ lo, /** @type {number} */ hi) => [0, Math.max(hi, s.min ?? 0) * 1.15 || 1] } : { range: [0, 1.1] } },
    axes: [
      { stroke: '#667085', grid: { stroke: '#e4e7ec' }, values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map((v) => formatTick(v, tz, to - from > 86_400_000)), space: 70 },
      counted
        ? { stroke: '#667085', grid: { stroke: '#e4e7ec' }, size: 44 }
        : { stroke: '#667085', grid: { show: false }, splits: () => [0, 1], values: (/** @type {any} */ _u, /** @type {number[]} */ v) => v.map((x) => labels[x] ?? ''), size: 64 },
    ],
    series: [
      { label: t('history.time'), value: (/** @type {any} */ _u, /** @type {number} */ v) => (v === null ? '—' : formatTime(v, tz)) },
      { label: counted ? t('history.count') : labels[1], stroke: colour, width: 2, fill: counted ? undefined : colour + '55', paths: stepped, points: { show: false } },
      ...(counted ? [{ label: t('history.min'), stroke: '#d92d20', dash: [6, 4], width: 1.5, points: { show: false } }] : []),
    ],
  }
  const chart = new uPlot(opts, data, el)
  charts.push(chart)
}

function destroyCharts() {
  for (const c of charts) c.destroy()
  charts = []
}

/** Keeps charts as wide as their column. */
export function resizeCharts() {
  for (const c of charts) {
    const parent = c.root.parentElement
    if (parent) c.setSize({ width: Math.max(240, parent.clientWidth), height: c.root.querySelector('.u-legend') ? 160 : 90 })
  }
}

/**
 * Who had the key when: key-taken / key-returned pairs, oldest first.
 * @param {import('./api.js').AuditEvent[]} events newest first, as the API answers
 * @param {string} subject
 * @param {string} tz
 */
function custodyOf(events, subject, tz) {
  /** @type {Node[]} */
  const out = []
  /** @type {import('./api.js').AuditEvent | null} */
  let taken = null
  for (const e of events.filter((x) => x.subject === subject).reverse()) {
    if (e.kind === 'key-taken') taken = e
    else if (e.kind === 'key-returned' && taken) {
      out.push(h('li', null, t('history.custody', { who: taken.user ?? t('history.unknownTaker'), from: formatTime(taken.t, tz), to: formatTime(e.t, tz), d: formatDuration(e.t - taken.t) })))
      taken = null
    }
  }
  if (taken) out.push(h('li', { class: 'out' }, t('history.custody', { who: taken.user ?? t('history.unknownTaker'), from: formatTime(taken.t, tz), to: t('history.stillOut'), d: formatDuration(Date.now() - taken.t) })))
  return out.reverse()
}

/** @type {Promise<any> | null} */
let uplotLoading = null

/** uPlot is loaded only when a chart is first shown. */
function loadUplot() {
  uplotLoading ??= new Promise((resolve, reject) => {
    const w = /** @type {any} */ (window)
    if (w.uPlot) return resolve(w.uPlot)
    document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/uplot/uPlot.min.css' }))
    const script = h('script', { src: '/vendor/uplot/uPlot.iife.min.js' })
    script.onload = () => resolve(w.uPlot)
    script.onerror = () => {
      uplotLoading = null
      reject(new Error('uPlot did not load'))
    }
    document.head.append(script)
  })
  return uplotLoading
}
