// Add a device to a station (contract v2 §E: the station-file device form without `secretHash`):
// its id, type and what it watches — a door, a key box's slots, or the items a shelf reads. What
// another device already covers cannot be chosen twice. The service answers with the secret, which
// the caller shows once.
import { h } from './dom.js'
import { t } from './i18n.js'
import { categoryName, formActions, formError } from './ledger-form-kit.js'
import { adminApi, ID_PATTERN } from './admin-data.js'
import { apiField, listRow, submitAdmin } from './admin-kit.js'

/**
 * @typedef {import('./admin-data.js').StationConfig} StationConfig
 * @typedef {import('./admin-data.js').DeviceConfig} DeviceConfig
 * @typedef {import('./admin-data.js').IssuedSecret} IssuedSecret
 * @typedef {{ station: StationConfig, cancel: () => void, done: (issued: IssuedSecret) => void }} DeviceFormContext
 */

/** @param {DeviceFormContext} ctx */
export function deviceForm(ctx) {
  const s = ctx.station
  const devices = (s.devices ?? []).filter((d) => !d.disabled)
  /** what each door, key and item is already watched by */
  /** @type {Map<string, string>} */
  const coveredBy = new Map()
  for (const d of devices) for (const subject of [...(d.door ? [`door:${d.door}`] : []), ...Object.values(d.slots ?? {}).map((k) => `key:${k}`), ...(d.items ?? []).map((i) => `item:${i}`)]) coveredBy.set(subject, d.id)
  const id = /** @type {HTMLInputElement} */ (h('input', { type: 'text', required: true, pattern: ID_PATTERN, maxlength: 63, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', value: `${s.id}-` }))
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', autocomplete: 'off', maxlength: 200 }))
  const type = /** @type {HTMLSelectElement} */ (h('select', null, ['door', 'keybox', 'equipment'].map((k) => h('option', { value: k }, t(`admin.device.type.${k}`)))))
  // The first thing the station still lacks a device for is the likeliest type.
  type.value = s.doors.some((d) => !coveredBy.has(`door:${d.id}`)) ? 'door' : s.keys.some((k) => !coveredBy.has(`key:${k.id}`)) ? 'keybox' : 'equipment'

  const door = /** @type {HTMLSelectElement} */ (
    h('select', { required: true }, h('option', { value: '' }, t('admin.device.pickDoor')), s.doors.map((d) => h('option', { value: d.id, disabled: coveredBy.has(`door:${d.id}`) }, d.name, coveredBy.has(`door:${d.id}`) ? ` ${t('admin.device.readBy', { device: coveredBy.get(`door:${d.id}`) ?? '' })}` : '')))
  )
  door.value = s.doors.find((d) => !coveredBy.has(`door:${d.id}`))?.id ?? ''

  /** @type {{ slot: string, key: string }[]} */
  const slots = s.keys.filter((k) => !coveredBy.has(`key:${k.id}`)).map((k, i) => ({ slot: String(i + 1), key: k.id }))
  const slotRows = h('div', { class: 'admin-rows' })
  const drawSlots = () =>
    slotRows.replaceChildren(
      ...slots.map((row, i) => {
        const slot = /** @type {HTMLInputElement} */ (h('input', { type: 'text', required: true, pattern: '[A-Za-z0-9_\\-]{1,16}', maxlength: 16, value: row.slot, autocomplete: 'off' }))
        slot.addEventListener('input', () => (row.slot = slot.value.trim()))
        const key = /** @type {HTMLSelectElement} */ (h('select', { required: true }, h('option', { value: '' }, '—'), s.keys.map((k) => h('option', { value: k.id, disabled: coveredBy.has(`key:${k.id}`) }, k.name))))
        key.value = row.key
        key.addEventListener('change', () => (row.key = key.value))
        return listRow(`${t('admin.device.slot')} ${i + 1}`, `slots.${i}`, [apiField(`slot-${i}`, t('admin.device.slot'), slot), apiField(`slots.${row.slot || i}`, t('admin.device.slotKey'), key)], () => (slots.splice(i, 1), drawSlots()))
      }),
    )
  drawSlots()

  /** @type {Map<string, import('./admin-data.js').ItemConfig[]>} */
  const byCategory = new Map()
  for (const e of s.equipment) byCategory.set(e.category, [...(byCategory.get(e.category) ?? []), e])
  const items = h(
    'div',
    { class: 'checks item-checks', role: 'group' },
    [...byCategory].map(([c, list]) =>
      h('div', { class: 'check-group' }, h('strong', null, categoryName(c)), list.map((e) => {
        const by = coveredBy.get(`item:${e.id}`)
        return h('label', { class: 'check' }, h('input', { type: 'checkbox', value: e.id, disabled: !!by }), e.name, by ? ` ${t('admin.device.readBy', { device: by })}` : '')
      })),
    ),
  )

  const parts = {
    door: apiField('door', t('admin.device.door'), door),
    keybox: h('div', { class: 'admin-section' }, h('div', { class: 'field list-field', dataset: { field: 'slots' } }, h('strong', null, t('admin.device.slots')), h('small', { class: 'field-error', role: 'alert', hidden: true })), slotRows, h('button', { type: 'button', class: 'btn secondary', dataset: { add: 'slots' }, onclick: () => (slots.push({ slot: String(slots.length + 1), key: '' }), drawSlots()) }, t('admin.device.addSlot'))),
    equipment: apiField('items', t('admin.device.items'), items, t('admin.device.itemsHint')),
  }
  const typeBox = h('div')
  const showType = () => {
    typeBox.replaceChildren(parts[/** @type {'door' | 'keybox' | 'equipment'} */ (type.value)])
    // only the shown type's inputs are checked by the browser
    for (const [k, el] of Object.entries(parts)) for (const c of el.querySelectorAll('input, select')) /** @type {HTMLInputElement} */ (c).disabled = k !== type.value || /** @type {HTMLInputElement} */ (c).dataset.covered === 'yes'
  }
  for (const c of items.querySelectorAll('input:disabled')) /** @type {HTMLElement} */ (c).dataset.covered = 'yes'
  type.addEventListener('change', showType)
  showType()

  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'admin-form card', 'data-form': 'device' },
      h('h2', null, t('admin.device.formTitle', { station: s.name })),
      formError(),
      apiField('id', t('admin.device.id'), id, t('admin.device.idHint')),
      apiField('type', t('admin.device.type'), type),
      apiField('name', t('admin.device.name'), name),
      typeBox,
      formActions(t('admin.device.submit'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitAdmin(form, async () => {
      /** @type {Omit<DeviceConfig, 'secretHash'>} */
      const body = { id: id.value.trim(), type: /** @type {DeviceConfig['type']} */ (type.value), ...(name.value.trim() ? { name: name.value.trim() } : {}) }
      if (body.type === 'door') body.door = door.value
      if (body.type === 'keybox') body.slots = Object.fromEntries(slots.map((r) => [r.slot, r.key]))
      if (body.type === 'equipment') body.items = [...items.querySelectorAll('input:checked')].map((c) => /** @type {HTMLInputElement} */ (c).value)
      ctx.done(await adminApi.addDevice(s.id, body))
    })
  })
  return form
}
