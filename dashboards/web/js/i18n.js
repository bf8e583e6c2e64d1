// Language: Simplified Chinese by default, English on request; the choice is kept in localStorage.
import { STRINGS } from './strings.js'

/** @typedef {'zh-CN' | 'en'} Lang */

export const LANG_KEY = 'stationwatch.lang'
/** @type {Lang[]} */
const LANGS = ['zh-CN', 'en']

/** @type {Lang} */
let lang = readStoredLang()
/** @type {Set<() => void>} */
const listeners = new Set()

/** @returns {Lang} */
function readStoredLang() {
  try {
    const v = localStorage.getItem(LANG_KEY)
    return v === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

/** @returns {Lang} */
export function currentLang() {
  return lang
}

/** @param {Lang} next */
export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return
  lang = next
  try {
    localStorage.setItem(LANG_KEY, next)
  } catch {
    // private mode: the switch still works for this page
  }
  document.documentElement.lang = next
  applyStatic()
  for (const fn of listeners) fn()
}

/** @param {() => void} fn */
export function onLangChange(fn) {
  listeners.add(fn)
}

/**
 * @param {string} key
 * @param {Record<string, string | number | null>} [params]
 */
export function t(key, params = {}) {
  const pair = STRINGS[key]
  const text = pair ? pair[lang === 'en' ? 1 : 0] : key
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m))
}

/**
 * Whether there is a text for `key` (categories and rules may be ones we do not know).
 * @param {string} key
 */
export function has(key) {
  return key in STRINGS
}

/** Fills `data-i18n` (text), `data-i18n-placeholder` and `data-i18n-title` in the static page. */
export function applyStatic(root = document) {
  document.documentElement.lang = lang
  document.title = `${t('app.title')} · StationWatch`
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? '')
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.setAttribute('placeholder', t(/** @type {HTMLElement} */ (el).dataset.i18nPlaceholder ?? ''))
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.setAttribute('title', t(/** @type {HTMLElement} */ (el).dataset.i18nTitle ?? ''))
}

/**
 * A readiness reason in the chosen language, from its code and values (`reason.<code>` in strings.js).
 * A code this page does not know yet is shown as the service's English sentence for it.
 * @param {import('./api.js').Reason} reason
 * @param {string} sentence the status's `reasons` entry at the same place
 */
export function reasonText(reason, sentence) {
  const key = `reason.${reason.code}`
  return has(key) ? t(key, reason) : sentence
}
