// The ledger view (台账) of the selected station: every item with its quantity, what of it is usable,
// and its batches with their expiry dates; expiring and expired first. Staff and up get the forms
// (receipt, issue, count, write-off) and the Excel export; a form replaces the list while it is open,
// so a live update never redraws a form being filled in.
import { can } from './api.js'
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { formatDateTime } from './format.js'
import { expiryBadge } from './ledger-badges.js'
import { countWalk } from './ledger-count.js'
import { categoryName } from './ledger-form-kit.js'
import { issueForm, receiptForm, writeOffForm } from './ledger-forms.js'
import { cachedLedger, daysBetween, expiryOfItem, ledgerApi, loadLedger, stationToday } from './ledger-data.js'
import { selectedStation, store, zoneOf } from './store.js'

/**
 * @typedef {import('./ledger-data.js').LedgerItem} LedgerItem
 * @typedef {import('./ledger-data.js').LedgerBatch} LedgerBatch
 * @typedef {{ kind: 'list' } | { kind: 'receipt' | 'issue', itemId?: string } | { kind: 'write-off', batchId?: string } | { kind: 'count' }} Screen
 */

/** @type {{ category: string, expiringFirst: boolean, screen: Screen, flash: Node | null, station: string | null }} */
const ui = { category: '', expiringFirst: true, screen: { kind: 'list' }, flash: null, station: null }

/**
 * Draws the view. With `fresh` the ledger is fetched first (the view was opened); a form on screen
 * is left alone unless `fresh` (then the list comes back).
 * @param {HTMLElement} root
 * @param {{ fresh?: boolean }} [opts]
 */
export async function renderLedger(root, opts = {}) {
  const station = selectedStation()
  if (!station) return replace(root, h('p', { class: 'empty' }, t('conn.connecting')))
  if (ui.station !== station.id) Object.assign(ui, { station: station.id, category: '', screen: { kind: 'list' }, flash: null })
  if (opts.fresh) {
    if (ui.screen.kind !== 'list') return
    const cached = cachedLedger(station.id)
    // What the page has is shown at once; the fetch then brings it up to date.
    if (cached) replace(root, listScreen(root, station, cached))
    else replace(root, h('h2', null, t('ledger.title')), h('p', { class: 'empty' }, t('history.loading')))
    try {
      await loadLedger(station.id) // its listener draws the list
    } catch (err) {
      replace(root, h('h2', null, t('ledger.title')), h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
    }
    return
  }
  const items = cachedLedger(station.id)
  if (!items) return
  if (ui.screen.kind !== 'list') return
  replace(root, listScreen(root, station, items))
}

/**
 * @param {HTMLElement} root
 * @param {Screen} screen
 */
function open(root, screen) {
  const station = selectedStation()
  const items = station && cachedLedger(station.id)
  if (!station || !items) return
  ui.screen = screen
  ui.flash = null
  const back = () => {
    ui.screen = { kind: 'list' }
    renderLedger(root)
    window.scrollTo({ top: 0 })
  }
  /** @type {import('./ledger-form-kit.js').FormContext} */
  const ctx = {
    station,
    items: cachedLedger(station.id) ?? items,
    category: ui.category,
    cancel: back,
    done: (flash) => {
      ui.flash = flash
      back()
    },
  }
  const form =
    screen.kind === 'receipt' ? receiptForm(ctx, screen.itemId) : screen.kind === 'issue' ? issueForm(ctx, screen.itemId) : screen.kind === 'write-off' ? writeOffForm(ctx, screen.batchId) : screen.kind === 'count' ? countWalk(ctx) : null
  if (!form) return back()
  replace(root, h('h2', null, t('ledger.title'), ' · ', station.name), form)
  window.scrollTo({ top: 0 }) // the sticky header would cover the top of the view
  const first = /** @type {HTMLElement | null} */ (form.querySelector('select:not([disabled]), input, .count-value'))
  first?.focus({ preventScroll: true })
}

/**
 * @param {HTMLElement} root
 * @param {import('./api.js').StationStatus} station
 * @param {LedgerItem[]} items
 */
function listScreen(root, station, items) {
  const staff = can(store.user, 'staff')
  const tz = zoneOf(station)
  const today = stationToday(tz)
  const categories = [...new Set(items.map((i) => i.category))]
  const shown = sortItems(items.filter((i) => !ui.category || i.category === ui.category))
  const batches = items.flatMap((i) => i.batches)
  const expired = batches.filter((b) => b.state === 'expired').length
  const expiring = batches.filter((b) => b.state === 'expiring').length
  const rerender = () => renderLedger(root)

  const category = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { 'data-testid': 'ledger-category', onchange: (/** @type {Event} */ ev) => ((ui.category = /** @type {HTMLSelectElement} */ (ev.target).value), rerender()) },
      h('option', { value: '' }, t('audit.all')),
      categories.map((c) => h('option', { value: c }, categoryName(c))),
    )
  )
  category.value = ui.category
  const first = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'ledger-expiring-first', checked: ui.expiringFirst, onchange: (/** @type {Event} */ ev) => ((ui.expiringFirst = /** @type {HTMLInputElement} */ (ev.target).checked), rerender()) }))

  return h(
    'div',
    { class: 'ledger' },
    h('h2', null, t('ledger.title'), ' · ', station.name),
    staff
      ? h(
          'div',
          { class: 'ledger-tools', 'data-testid': 'ledger-tools' },
          h('button', { type: 'button', class: 'btn', 'data-action': 'receipt', onclick: () => open(root, { kind: 'receipt' }) }, t('ledger.receipt.title')),
          h('button', { type: 'button', class: 'btn', 'data-action': 'issue', onclick: () => open(root, { kind: 'issue' }) }, t('ledger.issue.title')),
          h('button', { type: 'button', class: 'btn', 'data-action': 'count', onclick: () => open(root, { kind: 'count' }) }, ui.category ? t('ledger.count.startCategory', { c: categoryName(ui.category) }) : t('ledger.count.start')),
          h('button', { type: 'button', class: 'btn', 'data-action': 'write-off', onclick: () => open(root, { kind: 'write-off' }) }, t('ledger.writeOff.title')),
          h('a', { class: 'btn secondary', 'data-action': 'export', href: ledgerApi.exportUrl(station.id), download: `${station.id}-ledger.xlsx` }, t('ledger.export')),
        )
      : null,
    ui.flash ? h('div', { class: 'ledger-flash', role: 'status', 'data-testid': 'ledger-flash' }, ui.flash, h('button', { type: 'button', class: 'link', onclick: () => ((ui.flash = null), rerender()) }, t('ledger.flash.close'))) : null,
    h('div', { class: 'ledger-filter' }, h('label', null, t('ledger.category'), ' ', category), h('label', { class: 'check' }, first, ' ', t('ledger.expiringFirst'))),
    h(
      'p',
      { class: 'ledger-summary', 'data-testid': 'ledger-summary' },
      expired ? expiryBadge('expired', t('ledger.summary.expired', { n: expired })) : null,
      expiring ? expiryBadge('expiring', t('ledger.summary.expiring', { n: expiring })) : null,
      !expired && !expiring ? t('ledger.summary.none') : null,
    ),
    shown.length ? h('ul', { class: 'ledger-items', 'data-testid': 'ledger-items' }, shown.map((i) => itemCard(root, i, today, tz, staff))) : h('p', { class: 'empty' }, t('ledger.none')),
  )
}

/** Expired first, then expiring, each by nearest date; the rest in the station file's order. @param {LedgerItem[]} items */
function sortItems(items) {
  if (!ui.expiringFirst) return items
  const rank = { expired: 0, expiring: 1, ok: 2 }
  const firstDate = (/** @type {LedgerItem} */ i) => i.batches.find((b) => b.state !== 'ok')?.expiresOn ?? ''
  return items
    .map((item, index) => ({ item, index, rank: rank[expiryOfItem(item)] }))
    .sort((a, b) => a.rank - b.rank || (a.rank < 2 ? firstDate(a.item).localeCompare(firstDate(b.item)) : 0) || a.index - b.index)
    .map((x) => x.item)
}

/**
 * @param {HTMLElement} root
 * @param {LedgerItem} i
 * @param {string} today
 * @param {string} tz
 * @param {boolean} staff
 */
function itemCard(root, i, today, tz, staff) {
  const state = expiryOfItem(i)
  const low = i.min !== undefined && i.usable < i.min
  return h(
    'li',
    { class: `ledger-item card exp-${state}`, dataset: { item: i.itemId, expiry: state } },
    h(
      'div',
      { class: 'ledger-item-head' },
      h('strong', { class: 'name' }, i.name),
      state !== 'ok' ? expiryBadge(state) : null,
      i.kind === 'professional' ? h('span', { class: 'pro' }, t('item.professional')) : null,
    ),
    h(
      'p',
      { class: 'ledger-qty-line' },
      h('span', { 'data-testid': 'quantity' }, t('ledger.item.quantity', { n: i.quantity })),
      h('span', { 'data-testid': 'usable', class: i.usable < i.quantity ? 'short' : '' }, t('ledger.item.usable', { n: i.usable })),
      i.min !== undefined ? h('span', { class: low ? 'low' : '' }, t('ledger.item.min', { n: i.min })) : null,
      i.code ? h('span', { class: 'code' }, t('ledger.item.code', { code: i.code })) : null,
      h('span', { class: 'cat' }, categoryName(i.category)),
    ),
    i.batches.length ? h('ul', { class: 'batches' }, i.batches.map((b) => batchRow(root, b, today, tz, staff))) : h('p', { class: 'empty small' }, t('ledger.item.noBatches')),
    staff
      ? h(
          'div',
          { class: 'item-actions' },
          h('button', { type: 'button', class: 'btn small secondary', 'data-action': 'receipt-item', onclick: () => open(root, { kind: 'receipt', itemId: i.itemId }) }, t('ledger.receipt.short')),
          i.usable > 0 ? h('button', { type: 'button', class: 'btn small secondary', 'data-action': 'issue-item', onclick: () => open(root, { kind: 'issue', itemId: i.itemId }) }, t('ledger.issue.short')) : null,
        )
      : null,
  )
}

/**
 * @param {HTMLElement} root
 * @param {LedgerBatch} b
 * @param {string} today
 * @param {string} tz
 * @param {boolean} staff
 */
function batchRow(root, b, today, tz, staff) {
  const days = b.expiresOn ? daysBetween(today, b.expiresOn) : null
  const when = b.expiresOn === undefined ? t('ledger.batch.noExpiry') : b.state === 'expired' ? t('ledger.batch.expiredOn', { date: b.expiresOn }) : t('ledger.batch.expiresIn', { date: b.expiresOn, d: days ?? 0 })
  return h(
    'li',
    { class: `batch state-${b.state}`, dataset: { batch: b.id, state: b.state } },
    h('span', { class: 'batch-qty' }, t('ledger.batch.qty', { n: b.quantity })),
    h('span', { class: 'batch-when' }, when),
    b.state !== 'ok' ? expiryBadge(b.state) : null,
    h(
      'small',
      { class: 'batch-meta' },
      [t('ledger.batch.id', { id: b.id }), b.producedOn ? t('ledger.batch.produced', { date: b.producedOn }) : null, b.spec ?? null, b.supplier ?? null, t('ledger.batch.received', { time: formatDateTime(b.receivedAt, tz) })].filter(Boolean).join(' · '),
    ),
    staff ? h('button', { type: 'button', class: 'btn small secondary', 'data-action': 'write-off-batch', 'data-batch': b.id, onclick: () => open(root, { kind: 'write-off', batchId: b.id }) }, t('ledger.writeOff.short')) : null,
  )
}
