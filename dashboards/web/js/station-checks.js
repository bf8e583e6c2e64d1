// A station picker for many stations: checkboxes grouped by district, a filter on name, id and
// district, and "all" per district. Used where a user's scope or a wall screen's stations are chosen.
import { h } from './dom.js'
import { t } from './i18n.js'

/**
 * @typedef {{ id: string, name: string, district?: string }} PickableStation
 */

/**
 * Stations grouped by district, districts by name and the group without one last; stations by name.
 * @param {PickableStation[]} stations
 * @returns {[string, PickableStation[]][]} `''` is the group without a district
 */
export function byDistrict(stations) {
  /** @type {Map<string, PickableStation[]>} */
  const groups = new Map()
  for (const s of [...stations].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))) groups.set(s.district ?? '', [...(groups.get(s.district ?? '') ?? []), s])
  return [...groups].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
}

/**
 * @param {{ stations: PickableStation[], chosen?: string[], idPrefix: string }} opts
 * @returns {{ el: HTMLElement, chosen: () => string[], focus: () => void }}
 */
export function stationChecks(opts) {
  const chosen = new Set(opts.chosen ?? [])
  const filter = /** @type {HTMLInputElement} */ (h('input', { type: 'search', id: `${opts.idPrefix}-filter`, placeholder: t('checks.filterPlaceholder'), autocomplete: 'off', 'data-testid': 'station-filter' }))
  const count = h('small', { class: 'checks-count', 'aria-live': 'polite' })
  const noMatch = h('p', { class: 'empty small', hidden: true }, t('checks.noMatch'))
  const showCount = () => (count.textContent = t('checks.chosen', { n: chosen.size }))

  /** @type {{ box: HTMLElement, all: HTMLInputElement, rows: { s: PickableStation, label: HTMLElement, input: HTMLInputElement }[] }[]} */
  const groups = byDistrict(opts.stations).map(([district, list]) => {
    const rows = list.map((s) => {
      const input = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', value: s.id, checked: chosen.has(s.id) }))
      const label = h('label', { class: 'check', dataset: { station: s.id } }, input, s.name, ' ', h('span', { class: 'muted small' }, s.id))
      return { s, label, input }
    })
    const all = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'district-all' }))
    const box = h('fieldset', { class: 'station-group', dataset: { district } }, h('legend', null, h('label', { class: 'check' }, all, h('strong', null, district || t('checks.noDistrict')), ' ', h('span', { class: 'muted small' }, t('checks.all')))), h('div', { class: 'checks' }, rows.map((r) => r.label)))
    return { box, all, rows }
  })

  const sync = () => {
    for (const g of groups) {
      const shown = g.rows.filter((r) => !r.label.hidden)
      const on = shown.filter((r) => r.input.checked).length
      g.all.checked = shown.length > 0 && on === shown.length
      g.all.indeterminate = on > 0 && on < shown.length
    }
    showCount()
  }
  for (const g of groups) {
    for (const r of g.rows) r.input.addEventListener('change', () => (r.input.checked ? chosen.add(r.s.id) : chosen.delete(r.s.id), sync()))
    // "all" acts on the stations the filter shows, so "filter, then all" picks just those
    g.all.addEventListener('change', () => {
      for (const r of g.rows) {
        if (r.label.hidden) continue
        r.input.checked = g.all.checked
        if (g.all.checked) chosen.add(r.s.id)
        else chosen.delete(r.s.id)
      }
      sync()
    })
  }
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase()
    let any = false
    for (const g of groups) {
      let shown = 0
      for (const r of g.rows) {
        const hit = !q || [r.s.name, r.s.id, r.s.district ?? ''].some((x) => x.toLowerCase().includes(q))
        r.label.hidden = !hit
        if (hit) shown++
      }
      g.box.hidden = shown === 0
      any ||= shown > 0
    }
    noMatch.hidden = any
    sync()
  })
  sync()
  const el = h(
    'div',
    { class: 'station-checks' },
    h('div', { class: 'checks-bar' }, h('label', { for: filter.id, class: 'sr-only' }, t('checks.filter')), filter, count),
    h('div', { class: 'station-groups', role: 'group' }, groups.map((g) => g.box)),
    noMatch,
  )
  // in the order shown: by district, then by name
  return { el, chosen: () => groups.flatMap((g) => g.rows.map((r) => r.s.id)).filter((id) => chosen.has(id)), focus: () => filter.focus() }
}
