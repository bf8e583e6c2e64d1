// The routine view (巡检) of the selected station: its inspections with the next due time in the
// station's zone, overdue and last done; drills with each person's time to acknowledge; trainings;
// for staff the month's time-to-acknowledge figures and the monthly report. Responders walk a
// checklist, start and end drills and record trainings; a form or walk replaces the lists while it
// is open, so a live update never redraws it.
import { can } from './api.js'
import { toast } from './dialog.js'
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { formatDateTime, formatDuration } from './format.js'
import { stationToday } from './ledger-data.js'
import { loadInspections, routineApi } from './routine-data.js'
import { ackSection } from './routine-figures.js'
import { drillForm, trainingForm } from './routine-forms.js'
import { checklistWalk } from './routine-walk.js'
import { selectedStation, store, zoneOf } from './store.js'

/**
 * @typedef {import('./routine-data.js').Inspection} Inspection
 * @typedef {import('./routine-data.js').InspectionRun} InspectionRun
 * @typedef {import('./routine-data.js').Drill} Drill
 * @typedef {import('./routine-data.js').Training} Training
 * @typedef {{ kind: 'list' } | { kind: 'walk', inspection: Inspection } | { kind: 'drill' } | { kind: 'training' }} Screen
 * @typedef {{ inspections: Inspection[], drills: Drill[], trainings: Training[] }} RoutineData
 */

/** `history`: the inspections whose run history is open, kept open across live redraws. */
/** @type {{ station: string | null, screen: Screen, flash: Node | null, data: RoutineData | null, seq: number, history: Set<string> }} */
const ui = { station: null, screen: { kind: 'list' }, flash: null, data: null, seq: 0, history: new Set() }

/**
 * Fetches the station's routine and draws the lists, unless a form or a walk is open (then `fresh`,
 * the view being opened, brings the lists back).
 * @param {HTMLElement} root
 * @param {{ fresh?: boolean }} [opts]
 */
export async function renderRoutine(root, opts = {}) {
  const station = selectedStation()
  if (!station) return replace(root, h('p', { class: 'empty' }, t('conn.connecting')))
  if (ui.station !== station.id) Object.assign(ui, { station: station.id, screen: { kind: 'list' }, flash: null, data: null, history: new Set() })
  if (opts.fresh) ui.screen = { kind: 'list' }
  if (ui.screen.kind !== 'list') return
  if (!ui.data) replace(root, h('h2', null, t('routine.title')), h('p', { class: 'empty' }, t('history.loading')))
  else if (opts.fresh) replace(root, listScreen(root, station, ui.data))
  const seq = ++ui.seq
  try {
    const [inspections, drills, trainings] = await Promise.all([loadInspections(station.id), routineApi.drills(station.id), routineApi.trainings(station.id)])
    // an answer overtaken by a later request, another station or an opened form is dropped
    if (seq !== ui.seq || ui.station !== station.id || ui.screen.kind !== 'list') return
    ui.data = { inspections, drills, trainings }
    replace(root, listScreen(root, station, ui.data))
  } catch (err) {
    if (seq === ui.seq && ui.screen.kind === 'list') replace(root, h('h2', null, t('routine.title')), h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
  }
}

/**
 * @param {HTMLElement} root
 * @param {Screen} screen
 */
function open(root, screen) {
  const station = selectedStation()
  if (!station) return
  ui.screen = screen
  ui.flash = null
  const back = () => {
    ui.screen = { kind: 'list' }
    renderRoutine(root, { fresh: true })
    window.scrollTo({ top: 0 })
  }
  const ctx = { station: station.id, today: stationToday(zoneOf(station)), cancel: back, done: (/** @type {Node} */ flash) => ((ui.flash = flash), back()) }
  const body =
    screen.kind === 'walk'
      ? checklistWalk({ station: station.id, inspection: screen.inspection, cancel: back, done: (run) => ((ui.flash = runFlash(screen.inspection, run)), back()) })
      : screen.kind === 'drill'
        ? drillForm(ctx)
        : screen.kind === 'training'
          ? trainingForm(ctx)
          : null
  if (!body) return back()
  replace(root, h('h2', null, t('routine.title'), ' · ', station.name), body)
  window.scrollTo({ top: 0 })
}

/** "done" or "done (late)", as the service judged the run. @param {Inspection} inspection @param {InspectionRun} run */
function runFlash(inspection, run) {
  const failed = Object.values(run.results).filter((r) => !r.ok).length
  const state = run.dueAt === undefined ? 'extra' : run.late ? 'late' : 'onTime'
  return h(
    'div',
    { dataset: { run: run.id, state } },
    h('strong', { class: `run-state ${state}` }, t(`routine.run.${state}`, { name: inspection.name })),
    failed ? h('p', null, t('routine.run.failedItems', { n: failed })) : null,
  )
}

/**
 * @param {HTMLElement} root
 * @param {import('./api.js').StationStatus} station
 * @param {RoutineData} data
 */
function listScreen(root, station, data) {
  const tz = zoneOf(station)
  const responder = can(store.user, 'responder')
  const staff = can(store.user, 'staff')
  const running = data.drills.find((d) => d.endedAt === undefined)
  return h(
    'div',
    { class: 'routine' },
    h('h2', null, t('routine.title'), ' · ', station.name),
    ui.flash ? h('div', { class: 'ledger-flash', role: 'status', 'data-testid': 'routine-flash' }, ui.flash, h('button', { type: 'button', class: 'link', onclick: () => ((ui.flash = null), renderRoutine(root, { fresh: true })) }, t('ledger.flash.close'))) : null,
    h(
      'section',
      { class: 'routine-section', 'data-section': 'inspections' },
      h('h3', null, t('routine.inspections')),
      data.inspections.length ? h('ul', { class: 'inspections' }, data.inspections.map((i) => inspectionCard(root, i, tz, responder, staff))) : h('p', { class: 'empty small' }, t('routine.inspections.none')),
    ),
    h(
      'section',
      { class: 'routine-section', 'data-section': 'drills' },
      h('h3', null, t('routine.drills')),
      responder && !running ? h('div', { class: 'routine-tools' }, h('button', { type: 'button', class: 'btn', 'data-action': 'start-drill', onclick: () => open(root, { kind: 'drill' }) }, t('routine.drill.start'))) : null,
      data.drills.length ? h('ul', { class: 'drills' }, data.drills.map((d) => drillCard(root, d, tz, responder))) : h('p', { class: 'empty small' }, t('routine.drills.none')),
    ),
    h(
      'section',
      { class: 'routine-section', 'data-section': 'trainings' },
      h('h3', null, t('routine.trainings')),
      responder ? h('div', { class: 'routine-tools' }, h('button', { type: 'button', class: 'btn secondary', 'data-action': 'add-training', onclick: () => open(root, { kind: 'training' }) }, t('routine.training.add'))) : null,
      data.trainings.length ? h('ul', { class: 'trainings' }, data.trainings.map(trainingRow)) : h('p', { class: 'empty small' }, t('routine.trainings.none')),
    ),
    staff ? ackSection(station, tz) : null,
  )
}

/**
 * @param {HTMLElement} root
 * @param {Inspection} i
 * @param {string} tz
 * @param {boolean} responder
 * @param {boolean} staff
 */
function inspectionCard(root, i, tz, responder, staff) {
  const history = h('div', { class: 'run-history', hidden: true, 'data-testid': 'run-history' })
  const button = staff ? h('button', { type: 'button', class: 'btn small secondary', 'data-action': 'runs', 'aria-expanded': 'false', onclick: () => toggleHistory() }, t('routine.runs')) : null
  const toggleHistory = async (show = history.hidden) => {
    history.hidden = !show
    button?.setAttribute('aria-expanded', String(show))
    if (!show) return void ui.history.delete(i.id)
    ui.history.add(i.id)
    replace(history, h('p', { class: 'empty small' }, t('history.loading')))
    try {
      const runs = await routineApi.runs(ui.station ?? '', i.id)
      replace(history, runs.length ? h('ul', { class: 'runs' }, runs.map((r) => runRow(i, r, tz))) : h('p', { class: 'empty small' }, t('routine.runs.none')))
    } catch (err) {
      replace(history, h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
    }
  }
  const card = h(
    'li',
    { class: `inspection card${i.overdue ? ' overdue' : ''}`, dataset: { inspection: i.id, overdue: String(i.overdue) } },
    h('div', { class: 'inspection-head' }, h('strong', { class: 'name' }, i.name), i.overdue ? h('span', { class: 'overdue-badge', 'data-testid': 'overdue-badge' }, t('routine.overdue')) : null),
    h('p', { class: 'inspection-when' }, h('span', { 'data-testid': 'schedule' }, t(`routine.every.${i.every}`, { due: i.due }), ' · ', t('routine.items', { n: i.items.length }))),
    h('p', { class: 'inspection-when' }, h('span', { 'data-testid': 'next-due' }, t(i.overdue ? 'routine.missedDue' : 'routine.nextDue', { time: formatDateTime(i.nextDueAt, tz) }))),
    h('p', { class: 'inspection-when', 'data-testid': 'last-done' }, i.lastDoneAt === null ? t('routine.neverDone') : t('routine.lastDone', { time: formatDateTime(i.lastDoneAt, tz), who: i.lastDoneBy ?? '—' })),
    h(
      'div',
      { class: 'item-actions' },
      responder ? h('button', { type: 'button', class: 'btn', 'data-action': 'walk', onclick: () => open(root, { kind: 'walk', inspection: i }) }, t('routine.walk.start')) : null,
      button,
    ),
    history,
  )
  if (staff && ui.history.has(i.id)) toggleHistory(true)
  return card
}

/** @param {Inspection} i @param {InspectionRun} r @param {string} tz */
function runRow(i, r, tz) {
  const failed = Object.entries(r.results).filter(([, x]) => !x.ok)
  const text = (/** @type {string} */ id) => i.items.find((x) => x.id === id)?.text ?? id
  const state = r.dueAt === undefined ? 'extra' : r.late ? 'late' : 'onTime'
  return h(
    'li',
    { class: `run ${state}`, dataset: { run: r.id, state } },
    h('span', null, formatDateTime(r.t, tz), ' · ', r.by, ' · ', t(`routine.runState.${state}`)),
    failed.length ? h('ul', { class: 'failed-items' }, failed.map(([id, x]) => h('li', null, text(id), x.note ? h('q', null, x.note) : null))) : h('small', { class: 'muted' }, t('routine.runs.allOk')),
  )
}

/**
 * @param {HTMLElement} root
 * @param {Drill} d
 * @param {string} tz
 * @param {boolean} responder
 */
function drillCard(root, d, tz, responder) {
  const open = d.endedAt === undefined
  const end = async () => {
    try {
      await routineApi.endDrill(d.id)
    } catch (err) {
      toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
    }
    renderRoutine(root)
  }
  return h(
    'li',
    { class: `drill card${open ? ' open' : ''}`, dataset: { drill: d.id, open: String(open) } },
    h('div', { class: 'inspection-head' }, h('span', { class: 'drill-badge' }, t('alerts.drill')), h('strong', null, t(`routine.rule.${d.rule}`)), open ? h('span', { class: 'drill-open', 'data-testid': 'drill-open' }, t('routine.drill.open')) : null),
    h('p', { class: 'inspection-when' }, t('routine.drill.startedBy', { time: formatDateTime(d.startedAt, tz), who: d.startedBy }), d.endedAt !== undefined ? [' · ', t('routine.drill.endedBy', { time: formatDateTime(d.endedAt, tz), who: d.endedBy ?? '—' })] : null),
    d.note ? h('q', null, d.note) : null,
    d.responses.length
      ? h('ul', { class: 'responses', 'data-testid': 'drill-responses' }, d.responses.map((r) => h('li', { dataset: { user: r.user, seconds: String(r.secondsToAck) } }, t('routine.drill.response', { who: r.user, d: formatDuration(r.secondsToAck * 1000) }))))
      : h('p', { class: 'empty small' }, t('routine.drill.noResponses')),
    open && responder ? h('div', { class: 'item-actions' }, h('button', { type: 'button', class: 'btn danger', 'data-action': 'end-drill', onclick: end }, t('routine.drill.end'))) : null,
  )
}

/** @param {Training} tr */
function trainingRow(tr) {
  return h(
    'li',
    { class: 'training card', dataset: { training: tr.id } },
    h('strong', null, tr.date, ' · ', tr.topic),
    h('p', { class: 'inspection-when' }, t('routine.training.line', { hours: tr.hours, n: tr.participants.length, names: tr.participants.join('、') })),
  )
}
