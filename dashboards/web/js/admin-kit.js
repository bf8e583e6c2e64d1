// Pieces the admin forms share on top of the ledger's form kit: fields named after the API's field
// path (`doors.1.id`), so that a 400 naming `body.doors.1.id` lands beside that very input, and rows
// that can be added and removed.
import { ApiError } from './api.js'
import { h } from './dom.js'
import { t } from './i18n.js'
import { field, submitting } from './ledger-form-kit.js'

/**
 * A labelled field whose name is the API's field path; the control gets an id of its own so that
 * fields of other forms (the ledger's) never share it.
 * @param {string} name
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function apiField(name, label, control, hint) {
  control.id = `af-${name.replace(/[^\w-]/g, '_')}`
  return field(name, label, control, hint)
}

/**
 * Maps the API's field path to the nearest field the form has: `keys.0.opens.1` → `keys.0.opens`,
 * `slots.A` → `slots` when there is no field for the slot itself.
 * @param {HTMLElement} form
 */
export function nearestField(form) {
  return (/** @type {string} */ path) => {
    const parts = path.split('.')
    while (parts.length > 1 && !form.querySelector(`.field[data-field="${CSS.escape(parts.join('.'))}"]`)) parts.pop()
    return parts.join('.')
  }
}

/**
 * Runs an admin form's request (ledger-form-kit's `submitting`): a refusal naming a field — a 400,
 * or a 409 such as "body.id: device … already exists" — is shown beside that field.
 * @param {HTMLFormElement} form
 * @param {() => Promise<void>} run
 */
export function submitAdmin(form, run) {
  const named = async () => {
    try {
      await run()
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && /^body\.[\w.-]+: /.test(err.message)) throw new ApiError(400, err.code, err.message)
      throw err
    }
  }
  return submitting(form, named, nearestField(form), () => t('admin.err.conflict'))
}

/**
 * A text input that writes its trimmed value into `target[key]` (undefined when empty).
 * @param {Record<string, any>} target
 * @param {string} key
 * @param {Record<string, unknown>} [attrs]
 */
export function boundText(target, key, attrs = {}) {
  const el = /** @type {HTMLInputElement} */ (h('input', { type: 'text', autocomplete: 'off', ...attrs, value: target[key] ?? '' }))
  el.addEventListener('input', () => {
    const v = el.value.trim()
    if (v === '') delete target[key]
    else target[key] = v
  })
  return el
}

/**
 * A number input bound to `target[key]` (undefined when empty).
 * @param {Record<string, any>} target
 * @param {string} key
 * @param {Record<string, unknown>} [attrs]
 */
export function boundNumber(target, key, attrs = {}) {
  const el = /** @type {HTMLInputElement} */ (h('input', { type: 'number', inputmode: 'numeric', ...attrs, value: target[key] ?? '' }))
  el.addEventListener('input', () => {
    if (el.value.trim() === '') delete target[key]
    else target[key] = Number(el.value)
  })
  return el
}

/**
 * One row of a list (a door, a key, an item): its fields and a remove button.
 * @param {string} what the row's kind and number, for the remove button's label
 * @param {string} path the API path of the row (`doors.0`)
 * @param {Node[]} fields
 * @param {() => void} remove
 */
export function listRow(what, path, fields, remove) {
  return h(
    'fieldset',
    { class: 'admin-row', dataset: { row: path } },
    h('div', { class: 'admin-row-fields' }, fields),
    h('button', { type: 'button', class: 'btn secondary small remove-row', 'aria-label': t('admin.form.removeRow', { what }), onclick: remove }, t('admin.form.remove')),
  )
}

/**
 * A list section with a title, its rows and an add button; `draw` rebuilds it from the model.
 * @param {string} name the API path of the list (`doors`), for its errors
 * @param {string} title
 * @param {string} addLabel
 * @param {() => Node[]} rows
 * @param {() => void} add
 */
export function listSection(name, title, addLabel, rows, add) {
  const body = h('div', { class: 'admin-rows' })
  const section = h('section', { class: 'admin-section', dataset: { list: name } })
  const draw = () => {
    const list = rows()
    body.replaceChildren(...(list.length ? list : [h('p', { class: 'empty small' }, t('admin.form.emptyList'))]))
  }
  section.append(
    h('h3', null, title),
    // the list as a whole can be refused too (`body.doors: …`)
    h('div', { class: 'field list-field', dataset: { field: name } }, h('small', { class: 'field-error', role: 'alert', hidden: true })),
    body,
    h('button', { type: 'button', class: 'btn secondary', dataset: { add: name }, onclick: () => (add(), draw(), focusLast(body)) }, addLabel),
  )
  draw()
  return { section, draw }
}

/** @param {HTMLElement} body */
function focusLast(body) {
  const first = /** @type {HTMLElement | null} */ (body.querySelector('.admin-row:last-child input'))
  first?.focus()
}
