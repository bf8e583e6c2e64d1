// The count (盘点) as it is done: walking the shelves with a phone, one item per screen, big − and +
// around the number, then one look over the differences and one request with every count.
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { categoryName, clearErrors, formError, submitting } from './ledger-form-kit.js'
import { ledgerApi, loadLedger } from './ledger-data.js'

/** @typedef {import('./ledger-form-kit.js').FormContext} FormContext */

/**
 * The walk over the items of the chosen category (all when none is chosen), in shelf order.
 * Each count starts at the book's quantity, so an item found as booked is one tap on "next".
 * @param {FormContext} ctx
 */
export function countWalk(ctx) {
  const items = ctx.category ? ctx.items.filter((i) => i.category === ctx.category) : ctx.items
  const counts = items.map((i) => i.quantity)
  const root = h('div', { class: 'count-walk card', 'data-form': 'count' })
  let at = 0

  const show = () => (at < items.length ? replace(root, step()) : replace(root, review()))

  const step = () => {
    const item = items[at]
    if (!item) return review()
    const number = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, step: 1, inputmode: 'numeric', class: 'count-value', 'aria-label': t('ledger.count.counted'), value: counts[at] }))
    const set = (/** @type {number} */ n) => {
      counts[at] = Math.max(0, Math.round(n))
      number.value = String(counts[at])
    }
    number.addEventListener('input', () => {
      const n = Number(number.value)
      if (number.value !== '' && Number.isFinite(n)) counts[at] = Math.max(0, Math.round(n))
    })
    number.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') (ev.preventDefault(), next())
    })
    const next = () => {
      at++
      show()
    }
    return h(
      'div',
      { class: 'count-step', dataset: { item: item.itemId } },
      h('p', { class: 'count-progress', 'data-testid': 'count-progress' }, t('ledger.count.progress', { i: at + 1, n: items.length }), ' · ', categoryName(item.category)),
      h('h3', { class: 'count-name' }, item.name),
      item.code ? h('small', { class: 'code' }, t('ledger.item.code', { code: item.code })) : null,
      h('p', { class: 'count-book' }, t('ledger.count.book', { n: item.quantity, usable: item.usable })),
      h(
        'div',
        { class: 'stepper' },
        h('button', { type: 'button', class: 'btn step', 'data-action': 'minus', 'aria-label': t('ledger.count.minus'), onclick: () => set((counts[at] ?? 0) - 1) }, '−'),
        number,
        h('button', { type: 'button', class: 'btn step', 'data-action': 'plus', 'aria-label': t('ledger.count.plus'), onclick: () => set((counts[at] ?? 0) + 1) }, '+'),
      ),
      h(
        'div',
        { class: 'form-actions' },
        at > 0 ? h('button', { type: 'button', class: 'btn secondary', 'data-action': 'prev', onclick: () => (at--, show()) }, t('ledger.count.prev')) : h('button', { type: 'button', class: 'btn secondary', 'data-action': 'cancel', onclick: ctx.cancel }, t('dialog.cancel')),
        h('button', { type: 'button', class: 'btn', 'data-action': 'next', onclick: next }, at + 1 < items.length ? t('ledger.count.next') : t('ledger.count.toReview')),
      ),
    )
  }

  const review = () => {
    const note = /** @type {HTMLTextAreaElement} */ (h('textarea', { name: 'note', rows: 2, maxlength: 500 }))
    const form = /** @type {HTMLFormElement} */ (
      h(
        'form',
        { class: 'count-review' },
        h('h3', null, t('ledger.count.reviewTitle', { n: items.length })),
        formError(),
        h(
          'ul',
          { class: 'count-diffs', 'data-testid': 'count-diffs' },
          items.map((item, i) => {
            const counted = counts[i] ?? 0
            const d = counted - item.quantity
            return h(
              'li',
              { class: `field ${d === 0 ? 'same' : 'differs'}`, dataset: { field: `counts.${item.itemId}`, item: item.itemId } },
              h('button', { type: 'button', class: 'link', 'data-action': 'goto', onclick: () => ((at = i), show()) }, item.name),
              h('span', null, t('ledger.count.line', { book: item.quantity, counted })),
              d === 0 ? null : h('b', { class: 'diff' }, d > 0 ? `+${d}` : String(d)),
              h('small', { class: 'field-error', role: 'alert', hidden: true }),
            )
          }),
        ),
        h('div', { class: 'field', dataset: { field: 'note' } }, h('label', null, t('ledger.count.note'), note), h('small', { class: 'field-error', role: 'alert', hidden: true })),
        h(
          'div',
          { class: 'form-actions' },
          h('button', { type: 'button', class: 'btn secondary', 'data-action': 'prev', onclick: () => ((at = items.length - 1), show()) }, t('ledger.count.prev')),
          h('button', { type: 'submit', class: 'btn', 'data-action': 'submit' }, t('ledger.count.submit')),
        ),
      )
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      clearErrors(form)
      submitting(form, async () => {
        /** @type {Record<string, number>} */
        const body = {}
        items.forEach((item, i) => (body[item.itemId] = counts[i] ?? 0))
        const note = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem('note')).value.trim()
        const results = await ledgerApi.count(ctx.station.id, { counts: body, ...(note ? { note } : {}) })
        await loadLedger(ctx.station.id)
        const changed = results.filter((r) => r.difference !== 0)
        const name = (/** @type {string} */ id) => items.find((i) => i.itemId === id)?.name ?? id
        ctx.done(
          h(
            'div',
            null,
            h('p', null, t('ledger.count.done', { n: results.length, changed: changed.length })),
            changed.length ? h('ul', { class: 'taken', 'data-testid': 'count-result' }, changed.map((r) => h('li', { dataset: { item: r.itemId } }, t('ledger.count.adjusted', { name: name(r.itemId), book: r.expected, counted: r.counted, d: r.difference > 0 ? `+${r.difference}` : String(r.difference) })))) : null,
          ),
        )
      })
    })
    return form
  }

  if (items.length === 0) replace(root, h('p', { class: 'empty' }, t('ledger.none')), h('button', { type: 'button', class: 'btn secondary', onclick: ctx.cancel }, t('dialog.cancel')))
  else show()
  return root
}
