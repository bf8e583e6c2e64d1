// Pieces the ledger's forms share: labelled fields with room for the API's error beside them, the
// error display itself (400 naming the field, 404, 409), and the item picker grouped by category.
import { ApiError } from './api.js'
import { h, replace } from './dom.js'
import { categoryName } from './format.js'
import { t } from './i18n.js'

/**
 * @typedef {import('./ledger-data.js').LedgerItem} LedgerItem
 * @typedef {{ station: import('./api.js').StationStatus, items: LedgerItem[], category: string, done: (flash: Node) => void, cancel: () => void }} FormContext
 */

/**
 * A labelled field; `name` ties it to the API's field (`body.<name>`) for errors.
 * @param {string} name
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(name, label, control, hint) {
  if (!control.id) control.id = `lf-${name}`
  control.setAttribute('name', name)
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: control.id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null,
    h('small', { class: 'field-error', role: 'alert', hidden: true }),
  )
}

// Re-exported: the ledger's and the admin view's forms take it from here with the other form pieces.
export { categoryName }

/**
 * A select of the station's items, grouped by category.
 * @param {LedgerItem[]} items
 * @param {string} [selected]
 * @param {(i: LedgerItem) => string} [label]
 */
export function itemSelect(items, selected, label = (i) => i.name) {
  /** @type {Map<string, LedgerItem[]>} */
  const groups = new Map()
  for (const i of items) groups.set(i.category, [...(groups.get(i.category) ?? []), i])
  const select = /** @type {HTMLSelectElement} */ (
    h('select', { required: true }, h('option', { value: '' }, t('ledger.form.pickItem')), [...groups].map(([c, list]) => h('optgroup', { label: categoryName(c) }, list.map((i) => h('option', { value: i.itemId }, label(i))))))
  )
  select.value = selected ?? ''
  return select
}

/** @param {string} type @param {Record<string, unknown>} [attrs] */
export function input(type, attrs = {}) {
  return /** @type {HTMLInputElement} */ (h('input', { type, ...attrs }))
}

/** A whole number from a field, or undefined when it is empty. @param {HTMLInputElement} el */
export function numberOf(el) {
  return el.value.trim() === '' ? undefined : Number(el.value)
}

/** A trimmed text from a field, or undefined when it is empty. @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} el */
export function textOf(el) {
  const v = el.value.trim()
  return v === '' ? undefined : v
}

/** The form's own error line, at its top, where a phone user sees it. */
export function formError() {
  return h('p', { class: 'form-error', role: 'alert', 'data-testid': 'form-error', hidden: true })
}

/** @param {HTMLElement} form */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error, .form-error')) {
    const e = /** @type {HTMLElement} */ (el)
    e.hidden = true
    e.textContent = ''
  }
  for (const el of form.querySelectorAll('.field.invalid')) el.classList.remove('invalid')
  form.querySelector('.form-error')?.classList.remove('conflict')
}

/**
 * Shows an API refusal: a 400/404 message `body.<field>: …` beside that field (and at the top), a 409
 * as a conflict at the top (the stock is not what the form assumed), anything else at the top.
 * @param {HTMLElement} form
 * @param {unknown} err
 * @param {(field: string) => string} [fieldOf] maps the API's field path to a field name
 * @param {() => string} [conflictText] what a 409 means for this form, in the page's language
 */
export function showError(form, err, fieldOf = (f) => f, conflictText) {
  const top = /** @type {HTMLElement | null} */ (form.querySelector('.form-error'))
  const message = err instanceof Error ? err.message : String(err)
  const m = /^body\.([\w.-]+): (.*)$/.exec(message)
  const status = err instanceof ApiError ? err.status : 0
  if (m && (status === 400 || status === 404)) {
    const name = fieldOf(m[1] ?? '')
    const box = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`)
    const slot = /** @type {HTMLElement | null} */ (box?.querySelector('.field-error') ?? null)
    if (box && slot) {
      box.classList.add('invalid')
      slot.hidden = false
      slot.textContent = t('ledger.err.field', { msg: m[2] ?? message })
      box.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true')
    }
  }
  if (!top) return
  top.hidden = false
  if (status === 409) {
    top.classList.add('conflict')
    replace(top, conflictText?.() ?? t('ledger.err.conflict'), h('small', { class: 'api-message' }, message))
  } else if (status === 400 || status === 404) top.textContent = t('ledger.err.invalid', { msg: message })
  else if (status === 403) top.textContent = t('ledger.err.forbidden')
  else top.textContent = t('error.action', { msg: message })
  top.scrollIntoView({ block: 'nearest' })
}

/**
 * The buttons at a form's foot: cancel and submit (disabled while the request runs).
 * @param {string} submitLabel
 * @param {() => void} cancel
 */
export function formActions(submitLabel, cancel) {
  return h(
    'div',
    { class: 'form-actions' },
    h('button', { type: 'button', class: 'btn secondary', 'data-action': 'cancel', onclick: cancel }, t('dialog.cancel')),
    h('button', { type: 'submit', class: 'btn', 'data-action': 'submit' }, submitLabel),
  )
}

/**
 * Runs a form's request once at a time, showing the API's refusal beside the form.
 * @param {HTMLFormElement} form
 * @param {() => Promise<void>} run
 * @param {(field: string) => string} [fieldOf]
 * @param {() => string} [conflictText]
 */
export async function submitting(form, run, fieldOf, conflictText) {
  const button = /** @type {HTMLButtonElement | null} */ (form.querySelector('[type=submit]'))
  if (button?.disabled) return
  clearErrors(form)
  if (button) button.disabled = true
  try {
    await run()
  } catch (err) {
    showError(form, err, fieldOf, conflictText)
  } finally {
    if (button) button.disabled = false
  }
}
