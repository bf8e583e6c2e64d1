// What the ledger adds to an item on the board: an expiry badge when one of its batches is expiring
// or expired, and the ledger's usable quantity beside a sensed value (so a mismatch shows).
import { h } from './dom.js'
import { t } from './i18n.js'
import { expiryOf } from './ledger-data.js'

/**
 * Adds the ledger's marks to a board row (built by board.js) before it is patched in.
 * @param {HTMLElement} row
 * @param {string} station
 * @param {import('./api.js').Item} item
 */
export function withLedger(row, station, item) {
  const meta = row.querySelector('.meta')
  if (!meta) return row
  const state = expiryOf(station, item.id)
  // An item no device reports is counted from the ledger (not stale, no time of report): say so
  // rather than "never reported".
  if (item.ledgerQuantity === undefined && !item.stale && item.since === null) {
    row.dataset.source = 'ledger'
    for (const span of meta.querySelectorAll('span')) if (span.textContent === t('board.neverReported')) span.replaceWith(h('span', { class: 'ledger-src' }, t('ledger.board.fromLedger')))
  }
  if (item.ledgerQuantity !== undefined) meta.append(h('span', { class: 'ledger-qty', 'data-testid': 'ledger-qty' }, t('ledger.board.qty', { n: item.ledgerQuantity })))
  if (state !== 'ok') {
    row.dataset.expiry = state
    meta.prepend(expiryBadge(state))
  }
  return row
}

/** @param {'expiring' | 'expired'} state @param {string} [text] */
export function expiryBadge(state, text) {
  return h('b', { class: `exp-badge ${state}`, dataset: { expiry: state } }, text ?? t(`ledger.state.${state}`))
}
