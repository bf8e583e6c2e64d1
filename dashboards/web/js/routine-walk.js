// Walking an inspection's checklist on a phone: one item per screen, ok / not ok (with a note), then
// one look over the answers and one request with all of them. An item left unanswered is sent as it
// is, so the service's refusal naming it (400 `body.results.<item>`) is what the user sees.
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { clearErrors, formError, submitting } from './ledger-form-kit.js'
import { routineApi } from './routine-data.js'

/**
 * @typedef {import('./routine-data.js').Inspection} Inspection
 * @typedef {import('./routine-data.js').InspectionRun} InspectionRun
 * @typedef {{ ok: boolean | null, note: string }} Answer
 */

/**
 * @param {{ station: string, inspection: Inspection, cancel: () => void, done: (run: InspectionRun) => void }} ctx
 */
export function checklistWalk(ctx) {
  const items = ctx.inspection.items
  /** @type {Answer[]} */
  const answers = items.map(() => ({ ok: null, note: '' }))
  const root = h('div', { class: 'walk card', 'data-form': 'inspection-run', dataset: { inspection: ctx.inspection.id } })
  let at = 0

  const show = () => {
    replace(root, at < items.length ? step() : review())
    window.scrollTo({ top: 0 })
  }

  const step = () => {
    const item = items[at]
    const answer = answers[at]
    if (!item || !answer) return review()
    const note = /** @type {HTMLTextAreaElement} */ (h('textarea', { name: 'note', rows: 3, maxlength: 500, 'aria-label': t('routine.walk.note'), placeholder: t('routine.walk.notePlaceholder') }))
    note.value = answer.note
    note.addEventListener('input', () => (answer.note = note.value))
    const noteRow = h('label', { class: 'walk-note', hidden: answer.ok !== false }, t('routine.walk.note'), note)
    const choose = (/** @type {boolean} */ ok) => {
      answer.ok = ok
      if (ok) return next()
      // "not ok" stays on the item so the note can say what is wrong
      replace(root, step())
      const box = /** @type {HTMLElement | null} */ (root.querySelector('textarea'))
      box?.focus()
    }
    const next = () => {
      at++
      show()
    }
    return h(
      'div',
      { class: 'walk-step', dataset: { item: item.id } },
      h('p', { class: 'walk-progress', 'data-testid': 'walk-progress' }, t('routine.walk.progress', { i: at + 1, n: items.length }), ' · ', ctx.inspection.name),
      h('h3', { class: 'walk-item' }, item.text),
      h(
        'div',
        { class: 'walk-choice' },
        h('button', { type: 'button', class: 'btn choice ok', 'data-action': 'ok', 'aria-pressed': String(answer.ok === true), onclick: () => choose(true) }, t('routine.walk.ok')),
        h('button', { type: 'button', class: 'btn choice not-ok', 'data-action': 'not-ok', 'aria-pressed': String(answer.ok === false), onclick: () => choose(false) }, t('routine.walk.notOk')),
      ),
      noteRow,
      h(
        'div',
        { class: 'form-actions' },
        at > 0
          ? h('button', { type: 'button', class: 'btn secondary', 'data-action': 'prev', onclick: () => (at--, show()) }, t('routine.walk.prev'))
          : h('button', { type: 'button', class: 'btn secondary', 'data-action': 'cancel', onclick: ctx.cancel }, t('dialog.cancel')),
        h('button', { type: 'button', class: 'btn secondary', 'data-action': 'next', onclick: next }, at + 1 < items.length ? t('routine.walk.skip') : t('routine.walk.toReview')),
      ),
    )
  }

  const review = () => {
    const form = /** @type {HTMLFormElement} */ (
      h(
        'form',
        { class: 'walk-review' },
        h('h3', null, t('routine.walk.reviewTitle', { name: ctx.inspection.name })),
        formError(),
        h(
          'ul',
          { class: 'walk-answers', 'data-testid': 'walk-answers' },
          items.map((item, i) => {
            const a = answers[i] ?? { ok: null, note: '' }
            const state = a.ok === null ? 'unanswered' : a.ok ? 'ok' : 'not-ok'
            return h(
              'li',
              { class: `field answer ${state}`, dataset: { field: `results.${item.id}`, item: item.id, answer: state } },
              h('button', { type: 'button', class: 'link', 'data-action': 'goto', onclick: () => ((at = i), show()) }, item.text),
              h('b', { class: 'answer-mark' }, t(`routine.walk.answer.${state}`)),
              a.ok === false && a.note.trim() ? h('q', null, a.note.trim()) : null,
              h('small', { class: 'field-error', role: 'alert', hidden: true }),
            )
          }),
        ),
        h(
          'div',
          { class: 'form-actions' },
          h('button', { type: 'button', class: 'btn secondary', 'data-action': 'prev', onclick: () => ((at = items.length - 1), show()) }, t('routine.walk.prev')),
          h('button', { type: 'submit', class: 'btn', 'data-action': 'submit' }, t('routine.walk.submit')),
        ),
      )
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      clearErrors(form)
      /** @type {import('./routine-data.js').RunResults} */
      const results = {}
      items.forEach((item, i) => {
        const a = answers[i]
        if (!a || a.ok === null) return
        const note = a.note.trim()
        results[item.id] = a.ok || !note ? { ok: a.ok } : { ok: false, note }
      })
      // `body.results.<item>.ok` and `body.results.<item>` both belong to the item's line
      const fieldOf = (/** @type {string} */ f) => f.split('.').slice(0, 2).join('.')
      submitting(form, async () => ctx.done(await routineApi.submitRun(ctx.station, ctx.inspection.id, results)), fieldOf)
    })
    return form
  }

  if (items.length === 0) replace(root, h('p', { class: 'empty' }, t('routine.walk.noItems')), h('button', { type: 'button', class: 'btn secondary', onclick: ctx.cancel }, t('dialog.cancel')))
  else show()
  return root
}
