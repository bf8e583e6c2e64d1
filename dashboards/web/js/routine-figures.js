// For staff: how fast the team acknowledged, real alerts and drills apart, over a chosen month
// (last month unless another is picked), and the link to that month's report as a workbook.
import { h, replace } from './dom.js'
import { has, t } from './i18n.js'
import { formatDuration, parseStationTime } from './format.js'
import { routineApi } from './routine-data.js'

/** @typedef {import('./routine-data.js').AckFigure} AckFigure @typedef {import('./routine-data.js').AckSide} AckSide */

/** The month shown, per station, kept while the page is open. @type {Map<string, string>} */
const chosenMonth = new Map()

/** `YYYY-MM` of the month before the current one at the station. @param {string} tz */
export function lastMonth(tz) {
  const [y = 1970, m = 1] = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' }).format(Date.now()).split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/** The month after `YYYY-MM`. @param {string} month */
function nextMonth(month) {
  const [y = 1970, m = 1] = month.split('-').map(Number)
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`
}

/** @param {number | null} s */
function seconds(s) {
  return s === null ? '—' : formatDuration(Math.round(s) * 1000)
}

/**
 * The section; it fills itself in once the figures arrive.
 * @param {import('./api.js').StationStatus} station
 * @param {string} tz
 */
export function ackSection(station, tz) {
  const month = chosenMonth.get(station.id) ?? lastMonth(tz)
  const body = h('div', { class: 'ack-body', 'data-testid': 'ack-times' }, h('p', { class: 'empty small' }, t('history.loading')))
  const picker = /** @type {HTMLInputElement} */ (h('input', { type: 'month', 'data-testid': 'ack-month', value: month, 'aria-label': t('routine.ack.month') }))
  const link = /** @type {HTMLAnchorElement} */ (h('a', { class: 'btn secondary', 'data-action': 'report', href: routineApi.reportUrl(station.id, month), download: `${station.id}-report-${month}.xlsx` }, t('routine.report.download')))
  const load = async (/** @type {string} */ m) => {
    link.href = routineApi.reportUrl(station.id, m)
    link.download = `${station.id}-report-${m}.xlsx`
    const from = parseStationTime(`${m}-01T00:00`, tz)
    const to = parseStationTime(`${nextMonth(m)}-01T00:00`, tz)
    if (from === undefined || to === undefined) return
    try {
      const figures = await routineApi.ackTimes(station.id, from, to)
      if (picker.value === m) replace(body, side('real', figures.real), side('drill', figures.drill))
    } catch (err) {
      replace(body, h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
    }
  }
  picker.addEventListener('change', () => {
    if (!/^\d{4}-\d{2}$/.test(picker.value)) return
    chosenMonth.set(station.id, picker.value)
    load(picker.value)
  })
  load(month)
  return h(
    'section',
    { class: 'routine-section ack-times', 'data-section': 'ack-times' },
    h('h3', null, t('routine.ack.title')),
    h('div', { class: 'ack-tools' }, h('label', null, t('routine.ack.month'), ' ', picker), link),
    body,
  )
}

/**
 * @param {'real' | 'drill'} kind
 * @param {AckSide} f
 */
function side(kind, f) {
  /** @param {string} label @param {AckFigure} x @param {string} [key] */
  const row = (label, x, key) => h('tr', key ? { dataset: { key } } : null, h('th', { scope: 'row' }, label), h('td', null, String(x.count)), h('td', null, seconds(x.medianSeconds)), h('td', null, seconds(x.worstSeconds)))
  const ruleName = (/** @type {string} */ r) => (has(`routine.rule.${r}`) ? t(`routine.rule.${r}`) : r)
  return h(
    'div',
    { class: `ack-side ack-${kind}`, dataset: { kind } },
    h('h4', null, t(`routine.ack.${kind}`)),
    h(
      'table',
      { class: 'ack-table' },
      h('thead', null, h('tr', null, h('th', null, ''), h('th', null, t('routine.ack.count')), h('th', null, t('routine.ack.median')), h('th', null, t('routine.ack.worst')))),
      h(
        'tbody',
        null,
        row(t('routine.ack.all'), f, 'all'),
        Object.entries(f.byRule).map(([r, x]) => row(ruleName(r), x, `rule:${r}`)),
        Object.entries(f.byPerson).map(([p, x]) => row(t('routine.ack.person', { who: p }), x, `person:${p}`)),
      ),
    ),
    h('p', { class: 'small muted' }, t(kind === 'real' ? 'routine.ack.unackedReal' : 'routine.ack.unackedDrill', { n: f.unacknowledged })),
  )
}
