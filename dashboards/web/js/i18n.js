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
 * @param {Record<string, string | number>} [params]
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

// The service writes readiness reasons as short English sentences around the configured
// (Chinese) names. These patterns put them into the chosen language; a reason we do not
// recognise is shown as the service wrote it.
/** @type {[RegExp, string, string[]][]} */
const REASONS = [
  [/^(.+) was forced open$/, 'reason.forced', ['name']],
  [/^(.+) is out of the key box \(taken by (.+)\)$/, 'reason.keyOutBy', ['name', 'who']],
  [/^(.+) is out of the key box$/, 'reason.keyOut', ['name']],
  [/^(.+) is low: (-?\d+|null) of (\d+)$/, 'reason.low', ['name', 'count', 'min']],
  [/^(.+) has not reported yet$/, 'reason.notReported', ['name']],
  [/^(.+) is offline$/, 'reason.offline', ['name']],
  [/^(.+) is missing$/, 'reason.missing', ['name']],
  [/^(.+) is open$/, 'reason.open', ['name']],
]

/** @param {string} reason */
export function translateReason(reason) {
  for (const [re, key, names] of REASONS) {
    const m = re.exec(reason)
    if (m) return t(key, Object.fromEntries(names.map((n, i) => [n, m[i + 1] ?? ''])))
  }
  return reason
}
