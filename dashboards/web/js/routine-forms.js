// The routine's two small forms: starting a drill (which rule to stage, a note) and recording a
// training (date, topic, participants, hours). Each replaces the list while it is open.
import { h } from './dom.js'
import { t } from './i18n.js'
import { field, formActions, input, submitting, textOf } from './ledger-form-kit.js'
import { DRILL_RULES, routineApi } from './routine-data.js'

/** @typedef {{ station: string, today: string, cancel: () => void, done: (flash: Node) => void }} RoutineFormContext */

/** @param {RoutineFormContext} ctx */
export function drillForm(ctx) {
  const rule = /** @type {HTMLSelectElement} */ (h('select', null, DRILL_RULES.map((r) => h('option', { value: r }, t(`routine.rule.${r}`)))))
  rule.value = 'door-forced'
  const note = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 2, maxlength: 500, placeholder: t('routine.drill.notePlaceholder') }))
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'routine-form card', 'data-form': 'drill' },
      h('h3', null, t('routine.drill.start')),
      h('p', { class: 'hint' }, t('routine.drill.hint')),
      h('p', { class: 'form-error', role: 'alert', 'data-testid': 'form-error', hidden: true }),
      field('rule', t('routine.drill.rule'), rule),
      field('note', t('routine.drill.note'), note),
      formActions(t('routine.drill.startSubmit'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitting(
      form,
      async () => {
        const text = textOf(note)
        const drill = await routineApi.startDrill(ctx.station, { rule: rule.value, ...(text ? { note: text } : {}) })
        ctx.done(h('p', null, t('routine.drill.started', { rule: t(`routine.rule.${drill.rule}`) })))
      },
      undefined,
      () => t('routine.drill.running'),
    )
  })
  return form
}

/** @param {RoutineFormContext} ctx */
export function trainingForm(ctx) {
  const date = input('date', { required: true, value: ctx.today, max: ctx.today })
  const topic = input('text', { required: true, maxlength: 200 })
  const participants = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 3, required: true, placeholder: t('routine.training.participantsPlaceholder') }))
  const hours = input('number', { required: true, min: 0.5, max: 24, step: 0.5, inputmode: 'decimal' })
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'routine-form card', 'data-form': 'training' },
      h('h3', null, t('routine.training.add')),
      h('p', { class: 'form-error', role: 'alert', 'data-testid': 'form-error', hidden: true }),
      field('date', t('routine.training.date'), date),
      field('topic', t('routine.training.topic'), topic),
      field('participants', t('routine.training.participants'), participants, t('routine.training.participantsHint')),
      field('hours', t('routine.training.hours'), hours),
      formActions(t('routine.training.submit'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitting(form, async () => {
      const names = participants.value
        .split(/[\n,，、]+/)
        .map((s) => s.trim())
        .filter(Boolean)
      const rec = await routineApi.addTraining(ctx.station, { date: date.value, topic: topic.value.trim(), participants: names, hours: Number(hours.value) })
      ctx.done(h('p', null, t('routine.training.added', { topic: rec.topic, n: rec.participants.length })))
    }, (f) => f.split('.')[0] ?? f)
  })
  return form
}
