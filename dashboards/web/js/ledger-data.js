// The station ledger (台账, contract v2 §C) as the page knows it: the API calls, and the last ledger
// fetched per station, refetched when the station's stock or its expiry alerts change.
import { request } from './api.js'

/**
 * @typedef {'ok' | 'expiring' | 'expired'} BatchState
 * @typedef {{ id: string, itemId: string, quantity: number, producedOn?: string, expiresOn?: string, spec?: string, supplier?: string, receivedAt: number, state: BatchState }} LedgerBatch
 * @typedef {{ itemId: string, name: string, code?: string, category: string, kind: 'professional' | 'supply', min?: number, expiryWarnDays: number, quantity: number, usable: number, batches: LedgerBatch[] }} LedgerItem
 * @typedef {{ batchId: string, quantity: number, expiresOn?: string, remaining: number }} Taken
 * @typedef {{ itemId: string, expected: number, counted: number, difference: number }} CountResult
 * @typedef {{ itemId: string, quantity: number, producedOn?: string, expiresOn?: string, spec?: string, supplier?: string, note?: string }} ReceiptBody
 * @typedef {{ itemId: string, quantity: number, batchId?: string, reason: 'use' | 'loan' | 'transfer', note?: string }} IssueBody
 * @typedef {{ batchId: string, quantity?: number, reason: 'expired' | 'damaged' | 'lost', note?: string }} WriteOffBody
 */

const enc = encodeURIComponent
/** @param {string} station @param {string} [p] */
const path = (station, p = '') => `/api/stations/${enc(station)}/ledger${p}`

export const ledgerApi = {
  /** @returns {Promise<LedgerItem[]>} */
  get: (/** @type {string} */ station) => request(path(station)),
  /** @returns {Promise<LedgerBatch>} */
  receive: (/** @type {string} */ station, /** @type {ReceiptBody} */ body) => request(path(station, '/receipts'), { method: 'POST', body }),
  /** @returns {Promise<Taken[]>} */
  issue: (/** @type {string} */ station, /** @type {IssueBody} */ body) => request(path(station, '/issues'), { method: 'POST', body }),
  /** @returns {Promise<CountResult[]>} */
  count: (/** @type {string} */ station, /** @type {{ counts: Record<string, number>, note?: string }} */ body) => request(path(station, '/counts'), { method: 'POST', body }),
  /** @returns {Promise<{ batch: LedgerBatch }>} */
  writeOff: (/** @type {string} */ station, /** @type {WriteOffBody} */ body) => request(path(station, '/write-offs'), { method: 'POST', body }),
  /** A plain link: the browser sends the session cookie with it and saves the file. */
  exportUrl: (/** @type {string} */ station) => path(station, '/export?format=xlsx'),
}

/** @type {Map<string, { items: LedgerItem[], signature: string }>} */
const cache = new Map()
/** the signature each station's ledger was last asked for with */
const asked = new Map()
/** @type {Set<(station: string) => void>} */
const listeners = new Set()

/** Called after a station's ledger was fetched anew. @param {(station: string) => void} fn */
export function onLedger(fn) {
  listeners.add(fn)
}

/** @param {string} station @returns {LedgerItem[] | undefined} */
export function cachedLedger(station) {
  return cache.get(station)?.items
}

/**
 * Fetches the station's ledger and tells the listeners.
 * @param {string} station
 * @param {string} [signature]
 */
export async function loadLedger(station, signature = asked.get(station) ?? '') {
  const items = await ledgerApi.get(station)
  cache.set(station, { items, signature })
  for (const fn of listeners) fn(station)
  return items
}

/**
 * Refetches the ledger when what it would show may have changed: the station's quantities (a
 * movement changes the status's ledger-fed counts and `ledgerQuantity`) or its expiry alerts (a
 * batch turned expiring or expired at a local midnight). Other live updates cost nothing.
 * @param {import('./api.js').StationStatus | undefined} status
 * @param {import('./api.js').Alert[]} alerts the station's open alerts
 */
export function syncLedger(status, alerts) {
  if (!status) return
  const signature = JSON.stringify([
    status.equipment.map((e) => [e.id, e.count ?? null, e.present ?? null, e.ledgerQuantity ?? null]),
    alerts.filter((a) => a.rule === 'expiring' || a.rule === 'expired').map((a) => a.id).sort(),
  ])
  if (asked.get(status.id) === signature) return
  asked.set(status.id, signature)
  loadLedger(status.id, signature).catch(() => asked.delete(status.id)) // tried again at the next update
}

/** @param {LedgerItem} item @returns {BatchState} the worst state of its batches */
export function expiryOfItem(item) {
  if (item.batches.some((b) => b.state === 'expired')) return 'expired'
  if (item.batches.some((b) => b.state === 'expiring')) return 'expiring'
  return 'ok'
}

/** @param {string} station @param {string} itemId @returns {BatchState} */
export function expiryOf(station, itemId) {
  const item = cachedLedger(station)?.find((i) => i.itemId === itemId)
  return item ? expiryOfItem(item) : 'ok'
}

/**
 * "3fa2b1c9d0（弹性绷带）" for a batch the page has seen, else the bare id: what an `expiring`/`expired`
 * alert (subject `batch:ID`) can be titled with.
 * @param {string} batchId
 */
export function batchLabel(batchId) {
  for (const { items } of cache.values()) {
    const item = items.find((i) => i.batches.some((b) => b.id === batchId))
    if (item) return `${batchId}（${item.name}）`
  }
  return batchId
}

/** Today's date at the station, YYYY-MM-DD. @param {string} timeZone @param {number} [now] */
export function stationToday(timeZone, now = Date.now()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** Whole days from `from` to `to` (both YYYY-MM-DD). @param {string} from @param {string} to */
export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}
