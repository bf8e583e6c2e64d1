// Create or edit a station as structured forms (contract v2 §E: the station-file form without
// devices): basics, doors, keys with the doors each opens, equipment with category, kind and
// minimum, and the alert rules. The form keeps its own copy of the station; rows are added and
// removed in it, and what is sent is built from it, so each field's name is its path in the body.
import { h } from './dom.js'
import { t } from './i18n.js'
import { categoryName, formActions, formError } from './ledger-form-kit.js'
import { adminApi, ID_PATTERN, RULE_DEFAULTS } from './admin-data.js'
import { apiField, boundNumber, boundText, listRow, listSection, submitAdmin } from './admin-kit.js'
import { STRINGS } from './strings.js'

/**
 * @typedef {import('./admin-data.js').StationConfig} StationConfig
 * @typedef {import('./admin-data.js').StationBody} StationBody
 * @typedef {{ station?: StationConfig, categories: string[], cancel: () => void, done: (body: StationBody) => void }} StationFormContext
 */

const KNOWN_CATEGORIES = Object.keys(STRINGS).filter((k) => k.startsWith('cat.')).map((k) => k.slice(4))

/** @param {StationFormContext} ctx */
export function stationForm(ctx) {
  const editing = !!ctx.station
  /** @type {StationConfig} */
  const model = structuredClone(ctx.station ?? { id: '', name: '', timezone: 'Asia/Shanghai', doors: [], keys: [], equipment: [], rules: {} })
  model.rules ??= {}
  const rules = model.rules

  const basics = h(
    'section',
    { class: 'admin-section admin-basics' },
    h('h3', null, t('admin.form.basics')),
    apiField('id', t('admin.form.id'), boundText(model, 'id', { required: true, pattern: ID_PATTERN, maxlength: 63, autocapitalize: 'none', spellcheck: 'false', readonly: editing }), editing ? undefined : t('admin.form.idHint')),
    apiField('name', t('admin.form.name'), boundText(model, 'name', { required: true, maxlength: 200 })),
    apiField('district', t('admin.form.district'), boundText(model, 'district', { maxlength: 100 }), t('admin.form.districtHint')),
    apiField('timezone', t('admin.form.timezone'), boundText(model, 'timezone', { list: 'admin-timezones', autocapitalize: 'none', spellcheck: 'false' })),
    h('datalist', { id: 'admin-timezones' }, timeZones().map((z) => h('option', { value: z }))),
  )

  const keys = listSection('keys', t('admin.form.keys'), t('admin.form.addKey'), () => model.keys.map((k, i) => keyRow(k, i)), () => model.keys.push({ id: '', name: '', opens: model.doors.length === 1 ? [model.doors[0]?.id ?? ''] : [] }))
  /** @param {import('./admin-data.js').KeyConfig} k @param {number} i */
  function keyRow(k, i) {
    const opens = h(
      'div',
      { class: 'checks', role: 'group' },
      model.doors.length
        ? model.doors.map((d) => {
            const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', value: d.id, checked: k.opens.includes(d.id) }))
            box.addEventListener('change', () => (k.opens = model.doors.map((x) => x.id).filter((id) => (id === d.id ? box.checked : k.opens.includes(id)))))
            return h('label', { class: 'check' }, box, d.name || d.id)
          })
        : h('small', { class: 'hint' }, t('admin.form.noDoors')),
    )
    return listRow(`${t('admin.form.keys')} ${i + 1}`, `keys.${i}`, [
      apiField(`keys.${i}.id`, t('admin.form.rowId'), boundText(k, 'id', { required: true, pattern: ID_PATTERN, autocapitalize: 'none', spellcheck: 'false' })),
      apiField(`keys.${i}.name`, t('admin.form.rowName'), boundText(k, 'name', { required: true })),
      apiField(`keys.${i}.holder`, t('admin.form.holder'), boundText(k, 'holder')),
      apiField(`keys.${i}.opens`, t('admin.form.opens'), opens),
    ], () => (model.keys.splice(i, 1), keys.draw()))
  }

  const doors = listSection('doors', t('admin.form.doors'), t('admin.form.addDoor'), () => model.doors.map((d, i) => doorRow(d, i)), () => model.doors.push({ id: '', name: '' }))
  /** @param {import('./admin-data.js').DoorConfig} d @param {number} i */
  function doorRow(d, i) {
    const id = boundText(d, 'id', { required: true, pattern: ID_PATTERN, autocapitalize: 'none', spellcheck: 'false' })
    let before = d.id
    // A door renamed keeps the keys that open it; the keys' checkboxes follow the door list.
    id.addEventListener('change', () => {
      for (const k of model.keys) k.opens = k.opens.map((o) => (o === before && before ? d.id : o))
      before = d.id
      keys.draw()
    })
    const name = boundText(d, 'name', { required: true })
    name.addEventListener('change', () => keys.draw())
    return listRow(`${t('admin.form.doors')} ${i + 1}`, `doors.${i}`, [apiField(`doors.${i}.id`, t('admin.form.rowId'), id), apiField(`doors.${i}.name`, t('admin.form.rowName'), name)], () => {
      model.doors.splice(i, 1)
      // a key no longer opens a door that is gone (another row may still have the same id)
      for (const k of model.keys) k.opens = k.opens.filter((o) => model.doors.some((d) => d.id === o))
      doors.draw()
      keys.draw()
    })
  }

  const categories = [...new Set([...KNOWN_CATEGORIES, ...ctx.categories, ...model.equipment.map((e) => e.category)])]
  const equipment = listSection('equipment', t('admin.form.equipment'), t('admin.form.addItem'), () => model.equipment.map((e, i) => itemRow(e, i)), () => model.equipment.push({ id: '', name: '', category: '', kind: 'supply' }))
  /** @param {import('./admin-data.js').ItemConfig} e @param {number} i */
  function itemRow(e, i) {
    const kind = /** @type {HTMLSelectElement} */ (h('select', null, ['professional', 'supply'].map((k) => h('option', { value: k, selected: e.kind === k }, t(`admin.form.kind.${k}`)))))
    kind.addEventListener('change', () => (e.kind = /** @type {'professional' | 'supply'} */ (kind.value)))
    return listRow(`${t('admin.form.equipment')} ${i + 1}`, `equipment.${i}`, [
      apiField(`equipment.${i}.id`, t('admin.form.rowId'), boundText(e, 'id', { required: true, pattern: ID_PATTERN, autocapitalize: 'none', spellcheck: 'false' })),
      apiField(`equipment.${i}.name`, t('admin.form.rowName'), boundText(e, 'name', { required: true })),
      apiField(`equipment.${i}.category`, t('admin.form.category'), boundText(e, 'category', { required: true, list: 'admin-categories', autocapitalize: 'none' })),
      apiField(`equipment.${i}.kind`, t('admin.form.kind'), kind),
      apiField(`equipment.${i}.min`, t('admin.form.min'), boundNumber(e, 'min', { min: 0, step: 1 }), t('admin.form.minHint')),
      apiField(`equipment.${i}.code`, t('admin.form.code'), boundText(e, 'code', { inputmode: 'numeric', maxlength: 7 })),
      apiField(`equipment.${i}.expiryWarnDays`, t('admin.form.expiryWarnDays'), boundNumber(e, 'expiryWarnDays', { min: 0, step: 1 })),
    ], () => (model.equipment.splice(i, 1), equipment.draw()))
  }

  const rulesSection = h(
    'section',
    { class: 'admin-section admin-rules' },
    h('h3', null, t('admin.form.rules')),
    h('p', { class: 'hint' }, t('admin.form.rulesHint')),
    h('div', { class: 'admin-row-fields' }, Object.entries(RULE_DEFAULTS).map(([k, dflt]) => apiField(`rules.${k}`, t(`admin.rule.${k}`), boundNumber(rules, k, { min: 0, step: 'any', placeholder: String(dflt) })))),
  )

  const inspections = Array.isArray(model.inspections) ? model.inspections.length : 0
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'admin-form card', 'data-form': 'station', novalidate: false },
      h('h2', null, editing ? t('admin.form.editTitle', { name: ctx.station?.name ?? '' }) : t('admin.form.newTitle')),
      formError(),
      basics,
      doors.section,
      keys.section,
      equipment.section,
      h('datalist', { id: 'admin-categories' }, categories.map((c) => h('option', { value: c }, categoryName(c)))),
      rulesSection,
      inspections ? h('p', { class: 'hint' }, t('admin.form.inspectionsKept', { n: inspections })) : null,
      formActions(editing ? t('admin.form.save') : t('admin.form.create'), ctx.cancel),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitAdmin(form, async () => {
      const body = bodyOf(model)
      if (editing) await adminApi.updateStation(body.id, body)
      else await adminApi.createStation(body)
      ctx.done(body)
    })
  })
  return form
}

/**
 * What POST and PUT take: the station without its devices; empty optional fields left out.
 * @param {StationConfig} m
 * @returns {StationBody}
 */
export function bodyOf(m) {
  const rest = { ...m }
  delete rest.devices
  const rules = Object.fromEntries(Object.entries(m.rules ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)))
  return { ...rest, rules, keys: m.keys.map((k) => ({ ...k, opens: [...k.opens] })) }
}

function timeZones() {
  try {
    return Intl.supportedValuesOf('timeZone')
  } catch {
    return ['Asia/Shanghai']
  }
}
