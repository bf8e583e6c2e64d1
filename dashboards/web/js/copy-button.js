// A copy button for a text shown once (a wall URL, a token). Over plain HTTP on a LAN there is no
// clipboard API, so it falls back to copying from a selected, off-screen text area.
import { h } from './dom.js'
import { t } from './i18n.js'

/**
 * @param {() => string} text
 * @param {string} [label] the button's accessible name, when several sit side by side
 */
export function copyButton(text, label) {
  const b = h('button', { type: 'button', class: 'btn secondary small copy', 'aria-label': label, 'data-action': 'copy' }, t('copy.copy'))
  b.addEventListener('click', async () => {
    const value = text()
    let ok = false
    try {
      await navigator.clipboard.writeText(value)
      ok = true
    } catch {
      const area = /** @type {HTMLTextAreaElement} */ (h('textarea', { class: 'copy-buffer', readonly: true }))
      area.value = value
      b.after(area)
      area.select()
      ok = document.execCommand('copy')
      area.remove()
    }
    b.textContent = ok ? t('copy.copied') : t('copy.failed')
    setTimeout(() => (b.textContent = t('copy.copy')), 2500)
  })
  return b
}
