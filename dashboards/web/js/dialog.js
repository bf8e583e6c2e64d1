// One modal for "add a note and confirm" and "are you sure?". It sits outside the live lists,
// so a note being typed survives the lists being redrawn underneath it.
import { $ } from './dom.js'
import { t } from './i18n.js'

/**
 * @param {{ title: string, text?: string, note?: { label: string, placeholder?: string }, confirm: string, danger?: boolean }} opts
 * @returns {Promise<{ note: string } | null>} null when cancelled
 */
export function ask(opts) {
  const dialog = /** @type {HTMLDialogElement} */ ($('#ask-dialog'))
  const form = /** @type {HTMLFormElement} */ ($('form', dialog))
  const note = /** @type {HTMLTextAreaElement} */ ($('#ask-note', dialog))
  $('#ask-title', dialog).textContent = opts.title
  $('#ask-text', dialog).textContent = opts.text ?? ''
  $('#ask-note-row', dialog).hidden = !opts.note
  $('#ask-note-label', dialog).textContent = opts.note?.label ?? ''
  note.placeholder = opts.note?.placeholder ?? ''
  note.value = ''
  const ok = /** @type {HTMLButtonElement} */ ($('#ask-ok', dialog))
  ok.textContent = opts.confirm
  ok.classList.toggle('danger', !!opts.danger)
  const cancel = /** @type {HTMLButtonElement} */ ($('#ask-cancel', dialog))
  cancel.textContent = t('dialog.cancel')
  cancel.onclick = () => dialog.close('cancel')
  dialog.returnValue = ''
  dialog.showModal()
  ;(opts.note ? note : ok).focus()
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? { note: note.value.trim() } : null), { once: true })
    form.onsubmit = (ev) => {
      ev.preventDefault()
      dialog.close('ok')
    }
  })
}

/** A short message at the bottom of the screen (errors from actions). @param {string} text */
export function toast(text) {
  const el = $('#toast')
  el.textContent = text
  el.hidden = false
  clearTimeout(Number(el.dataset.timer))
  el.dataset.timer = String(setTimeout(() => (el.hidden = true), 6000))
}
