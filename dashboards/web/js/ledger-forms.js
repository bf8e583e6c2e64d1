// Receipt (入库), issue (出库) and write-off (报废): one screen each, sized for a phone. What the
// service answers is shown back (the batch made, the batches taken first-expiring first).
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { expiryBadge } from './ledger-badges.js'
import { field, formActions, formError, input, itemSelect, numberOf, submitting, textOf } from './ledger-form-kit.js'
import { ledgerApi, loadLedger } from './ledger-data.js'

/**
 * @typedef {import('./ledger-form-kit.js').FormContext} FormContext
 * @typedef {import('./ledger-data.js').LedgerItem} LedgerItem
 * @typedef {import('./ledger-data.js').LedgerBatch} LedgerBatch
 */

/** @param {FormContext} ctx @param {string} [itemId] */
export function receiptForm(ctx, itemId) {
  const item = itemSelect(ctx.items, itemId)
  const quantity = input('number', { min: 1, step: 1, inputmode: 'numeric', required: true })
  const producedOn = input('date')
  const expiresOn = input('date')
  const spec = input('text', { maxlength: 100, autocomplete: 'off' })
  const supplier = input('text', { maxlength: 100, autocomplete: 'off' })
  const note = input('text', { maxlength: 500, autocomplete: 'off' })
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'ledger-form card', 'data-form': 'receipt' },
      h('h3', null, t('ledger.receipt.title')),
      formError(),
      field('itemId', t('ledger.form.item'), item),
      field('quantity', t('ledger.form.quantity'), quantity),
      field('producedOn', t('ledger.form.producedOn'), producedOn),
      field('expiresOn', t('ledger.form.expiresOn'), expiresOn, t('ledger.form.expiresHint')),
      field('spec', t('ledger.form.spec'), spec),
      field('supplier', t('ledger.form.supplier'), supplier),
      field('note', t('ledger.form.note'), note),
      formActions(t('ledger.receipt.submit'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitting(form, async () => {
      const batch = await ledgerApi.receive(ctx.station.id, {
        itemId: item.value,
        quantity: Number(quantity.value),
        producedOn: textOf(producedOn),
        expiresOn: textOf(expiresOn),
        spec: textOf(spec),
        supplier: textOf(supplier),
        note: textOf(note),
      })
      await loadLedger(ctx.station.id)
      const name = ctx.items.find((i) => i.itemId === batch.itemId)?.name ?? batch.itemId
      ctx.done(h('p', null, t('ledger.receipt.done', { name, n: batch.quantity, batch: batch.id }), batch.expiresOn ? ` · ${t('ledger.batch.expires', { date: batch.expiresOn })}` : ''))
    })
  })
  return form
}

/** @param {LedgerBatch} b */
function batchText(b) {
  return [t('ledger.batch.id', { id: b.id }), t('ledger.batch.qty', { n: b.quantity }), b.expiresOn ? t('ledger.batch.expires', { date: b.expiresOn }) : t('ledger.batch.noExpiry')].join(' · ')
}

/** @param {FormContext} ctx @param {string} [itemId] */
export function issueForm(ctx, itemId) {
  const item = itemSelect(ctx.items, itemId, (i) => t('ledger.issue.option', { name: i.name, n: i.usable }))
  const batch = /** @type {HTMLSelectElement} */ (h('select'))
  const usable = h('small', { class: 'hint', 'data-testid': 'usable' })
  const fillBatches = () => {
    const it = ctx.items.find((i) => i.itemId === item.value)
    replace(batch, h('option', { value: '' }, t('ledger.issue.fifo')), (it?.batches ?? []).filter((b) => b.state !== 'expired').map((b) => h('option', { value: b.id }, batchText(b))))
    usable.textContent = it ? t('ledger.issue.usable', { n: it.usable }) : ''
  }
  item.addEventListener('change', fillBatches)
  fillBatches()
  // No `max`: asking for more than is held is the service's 409, which the form shows as such.
  const quantity = input('number', { min: 1, step: 1, inputmode: 'numeric', required: true })
  const reason = /** @type {HTMLSelectElement} */ (h('select', null, ['use', 'loan', 'transfer'].map((r) => h('option', { value: r }, t(`ledger.reason.${r}`)))))
  const note = input('text', { maxlength: 500, autocomplete: 'off' })
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'ledger-form card', 'data-form': 'issue' },
      h('h3', null, t('ledger.issue.title')),
      formError(),
      field('itemId', t('ledger.form.item'), item),
      usable,
      field('quantity', t('ledger.form.quantity'), quantity),
      field('batchId', t('ledger.form.batch'), batch, t('ledger.issue.fifoHint')),
      field('reason', t('ledger.form.reason'), reason),
      field('note', t('ledger.form.note'), note, t('ledger.issue.noteHint')),
      formActions(t('ledger.issue.submit'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitting(form, async () => {
      const reasonValue = /** @type {'use' | 'loan' | 'transfer'} */ (reason.value)
      const taken = await ledgerApi.issue(ctx.station.id, { itemId: item.value, quantity: Number(quantity.value), batchId: textOf(batch), reason: reasonValue, note: textOf(note) })
      await loadLedger(ctx.station.id)
      const name = ctx.items.find((i) => i.itemId === item.value)?.name ?? item.value
      ctx.done(
        h(
          'div',
          null,
          h('p', null, t('ledger.issue.done', { name, n: taken.reduce((n, x) => n + x.quantity, 0) })),
          h(
            'ol',
            { class: 'taken', 'data-testid': 'taken' },
            taken.map((x) => h('li', { dataset: { batch: x.batchId } }, t('ledger.issue.taken', { id: x.batchId, n: x.quantity, left: x.remaining }), x.expiresOn ? ` · ${t('ledger.batch.expires', { date: x.expiresOn })}` : '')),
          ),
        ),
      )
    }, undefined, () => {
      const it = ctx.items.find((i) => i.itemId === item.value)
      // Naming a batch: what that batch holds is the limit; else what the item has usable.
      const limit = ctx.items.flatMap((i) => i.batches).find((b) => b.id === batch.value)?.quantity ?? it?.usable ?? 0
      return t('ledger.issue.tooMany', { name: it?.name ?? item.value, usable: limit, n: quantity.value })
    })
  })
  return form
}

/** @param {FormContext} ctx @param {string} [batchId] */
export function writeOffForm(ctx, batchId) {
  /** @type {{ item: LedgerItem, batch: LedgerBatch }[]} */
  const all = ctx.items.flatMap((item) => item.batches.map((batch) => ({ item, batch })))
  const rank = { expired: 0, expiring: 1, ok: 2 }
  all.sort((a, b) => rank[a.batch.state] - rank[b.batch.state])
  const batch = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { required: true },
      h('option', { value: '' }, t('ledger.form.pickBatch')),
      all.map(({ item, batch: b }) => h('option', { value: b.id }, `${item.name} · ${batchText(b)}${b.state === 'ok' ? '' : ` · ${t(`ledger.state.${b.state}`)}`}`)),
    )
  )
  batch.value = batchId ?? ''
  const quantity = input('number', { min: 1, step: 1, inputmode: 'numeric' })
  const reason = /** @type {HTMLSelectElement} */ (h('select', null, ['expired', 'damaged', 'lost'].map((r) => h('option', { value: r }, t(`ledger.writeOff.${r}`)))))
  // The chosen batch in full: on a phone the select shows only the start of its line.
  const chosenInfo = h('p', { class: 'chosen-batch', 'data-testid': 'chosen-batch' })
  const fit = () => {
    const found = all.find((x) => x.batch.id === batch.value)
    const chosen = found?.batch
    replace(chosenInfo, found ? [h('strong', null, found.item.name), ' ', batchText(found.batch), ' ', found.batch.state === 'ok' ? null : expiryBadge(found.batch.state)] : [])
    chosenInfo.hidden = !found
    quantity.placeholder = chosen ? t('ledger.writeOff.whole', { n: chosen.quantity }) : ''
    reason.value = chosen && chosen.state !== 'expired' ? 'damaged' : 'expired'
  }
  batch.addEventListener('change', fit)
  fit()
  const note = input('text', { maxlength: 500, autocomplete: 'off' })
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'ledger-form card', 'data-form': 'write-off' },
      h('h3', null, t('ledger.writeOff.title')),
      formError(),
      field('batchId', t('ledger.form.batch'), batch),
      chosenInfo,
      field('quantity', t('ledger.form.quantity'), quantity, t('ledger.writeOff.quantityHint')),
      field('reason', t('ledger.form.reason'), reason),
      field('note', t('ledger.form.note'), note),
      formActions(t('ledger.writeOff.submit'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitting(form, async () => {
      const reasonValue = /** @type {'expired' | 'damaged' | 'lost'} */ (reason.value)
      const before = all.find((x) => x.batch.id === batch.value)
      const { batch: after } = await ledgerApi.writeOff(ctx.station.id, { batchId: batch.value, quantity: numberOf(quantity), reason: reasonValue, note: textOf(note) })
      await loadLedger(ctx.station.id)
      const n = (before?.batch.quantity ?? 0) - after.quantity
      ctx.done(h('p', null, t('ledger.writeOff.done', { name: before?.item.name ?? '', id: after.id, n, left: after.quantity })))
    }, undefined, () => t('ledger.writeOff.tooMany', { n: all.find((x) => x.batch.id === batch.value)?.batch.quantity ?? 0 }))
  })
  return form
}
