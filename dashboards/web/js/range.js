// A time-range picker: presets, or from/to typed as wall-clock time at the station.
import { h } from './dom.js'
import { t } from './i18n.js'
import { parseStationTime, toStationInput } from './format.js'

export const PRESETS = ['1h', '6h', '24h', '7d', '30d', 'custom']
const HOUR = 3_600_000
/** @type {Record<string, number>} */
const PRESET_HOURS = { '1h': 1, '6h': 6, '24h': 24, '7d': 168, '30d': 720 }

/**
 * @typedef {{ preset: string, from: number, to: number }} Range
 */

/**
 * The range in ms: a preset ends now; a custom one is what was typed.
 * @param {Range} r
 */
export function resolveRange(r) {
  if (r.preset === 'custom' && r.from && r.to) return { from: r.from, to: r.to }
  const to = Date.now()
  return { from: to - (PRESET_HOURS[r.preset] ?? 24) * HOUR, to }
}

/**
 * @param {Range} range
 * @param {string} tz
 * @param {(r: Range) => void} onApply
 * @param {Node[]} [extra] more fields shown before the button (the audit filters)
 */
export function rangeControls(range, tz, onApply, extra = []) {
  const preset = /** @type {HTMLSelectElement} */ (h('select', { name: 'preset', 'aria-label': t('range.label') }, PRESETS.map((p) => h('option', { value: p, selected: p === range.preset }, t(`range.${p}`)))))
  const shown = resolveRange(range)
  const from = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', name: 'from', value: toStationInput(shown.from, tz) }))
  const to = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', name: 'to', value: toStationInput(shown.to, tz) }))
  const custom = h('span', { class: 'custom-range', hidden: range.preset !== 'custom' }, h('label', null, t('range.from'), ' ', from), h('label', null, t('range.to'), ' ', to))
  preset.onchange = () => {
    custom.hidden = preset.value !== 'custom'
    if (preset.value !== 'custom') submit()
  }
  const submit = () => {
    const end = parseStationTime(to.value, tz)
    // The inputs have minute precision: "to 14:05" means up to the end of that minute.
    onApply({ preset: preset.value, from: parseStationTime(from.value, tz) ?? 0, to: end === undefined ? 0 : end + 59_999 })
  }
  return h(
    'form',
    {
      class: 'range-controls',
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault()
        submit()
      },
    },
    preset,
    custom,
    ...extra,
    h('button', { type: 'submit', class: 'btn' }, t('range.apply')),
  )
}
