// The admin view's wall-screen tab (contract §11 display tokens, v2 §E /wall): the display tokens
// with their stations; make one for a district or chosen stations and show its ready-to-open wall
// URLs once; revoke one.
import { ask, toast } from './dialog.js'
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { formatTime } from './format.js'
import { formActions, formError } from './ledger-form-kit.js'
import { apiField, submitAdmin } from './admin-kit.js'
import { copyButton } from './copy-button.js'
import { peopleApi, wallUrls } from './people-data.js'
import { byDistrict, stationChecks } from './station-checks.js'
import { selectedStation, store, zoneOf } from './store.js'

/**
 * @typedef {import('./people-data.js').DisplayToken} DisplayToken
 * @typedef {import('./people-data.js').IssuedDisplayToken} IssuedDisplayToken
 */

const ui = { seq: 0 }

/**
 * Opens the wall-screen tab on its list.
 * @param {HTMLElement} root
 * @param {string | null} [flash]
 */
export async function renderWalls(root, flash = null) {
  const seq = ++ui.seq
  replace(root, h('p', { class: 'empty' }, t('people.loading')))
  let tokens
  try {
    tokens = await peopleApi.displayTokens()
  } catch (err) {
    if (seq === ui.seq) replace(root, h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
    return
  }
  if (seq !== ui.seq) return
  replace(
    root,
    h('div', { class: 'admin-head' }, h('h2', null, t('walls.title')), h('button', { type: 'button', class: 'btn', 'data-action': 'new-wall', onclick: () => openForm(root) }, t('walls.new'))),
    h('p', { class: 'muted small' }, t('walls.intro')),
    flash ? h('p', { class: 'flash', role: 'status' }, flash) : null,
    tokens.length ? h('ul', { class: 'admin-walls', 'data-testid': 'admin-walls' }, tokens.map((d) => tokenRow(root, d))) : h('p', { class: 'empty' }, t('walls.none')),
  )
}

/**
 * @param {HTMLElement} root
 * @param {DisplayToken} d
 */
function tokenRow(root, d) {
  const names = d.stations.map((id) => store.stations.get(id)?.name ?? id)
  return h(
    'li',
    { class: 'admin-wall card', dataset: { token: d.id } },
    h('strong', { class: 'admin-wall-name' }, d.name),
    h('div', { class: 'small', 'data-testid': 'wall-stations' }, names.length <= 6 ? names.join('、') : `${names.slice(0, 5).join('、')} … ${t('people.stationsN', { n: names.length })}`),
    h('div', { class: 'muted small' }, t('walls.byAt', { by: d.createdBy, time: formatTime(d.createdAt, zoneOf(selectedStation())) })),
    h('button', { type: 'button', class: 'btn danger small', 'data-action': 'revoke', dataset: { token: d.id }, onclick: () => revoke(root, d) }, t('walls.revoke')),
  )
}

/**
 * @param {HTMLElement} root
 * @param {DisplayToken} d
 */
async function revoke(root, d) {
  const ok = await ask({ title: t('walls.revokeTitle', { name: d.name }), text: t('walls.revokeText'), confirm: t('walls.revoke'), danger: true })
  if (!ok) return
  try {
    await peopleApi.revokeDisplayToken(d.id)
    await renderWalls(root, t('walls.revoked', { name: d.name }))
  } catch (err) {
    toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
    await renderWalls(root)
  }
}

/** @param {HTMLElement} root */
function openForm(root) {
  ui.seq++ // a list still loading does not replace the form
  window.scrollTo({ top: 0 })
  const stations = [...store.stations.values()]
  const districts = byDistrict(stations).filter(([d]) => d !== '')
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', required: true, maxlength: 100, autocomplete: 'off' }))
  const mode = districts.length ? 'district' : 'stations'
  const radio = (/** @type {'district' | 'stations'} */ v, /** @type {string} */ label) => h('label', { class: 'check' }, h('input', { type: 'radio', name: 'wall-mode', value: v, checked: v === mode, 'data-testid': `wall-mode-${v}` }), label)
  const modes = h('div', { class: 'checks', role: 'radiogroup', 'aria-label': t('walls.form.what') }, districts.length ? radio('district', t('walls.form.district')) : null, radio('stations', t('walls.form.stations')))
  const district = /** @type {HTMLSelectElement} */ (h('select', { required: true }, h('option', { value: '' }, t('walls.form.pickDistrict')), districts.map(([d, list]) => h('option', { value: d }, `${d} (${list.length})`))))
  const districtInfo = h('small', { class: 'hint', 'data-testid': 'district-stations' })
  const districtBox = h('div', { class: 'wall-district' }, apiField('district', t('walls.form.pickDistrict'), district), districtInfo, h('small', { class: 'hint' }, t('walls.form.districtFixed')))
  const picker = stationChecks({ stations, idPrefix: 'wf-stations' })
  const districtMode = () => /** @type {HTMLInputElement | null} */ (modes.querySelector('input[value=district]'))?.checked ?? false
  const districtStations = () => (districts.find(([d]) => d === district.value)?.[1] ?? []).map((s) => s.id)
  const show = () => {
    districtBox.hidden = !districtMode()
    district.disabled = !districtMode() // a hidden, required select must not block the other mode
    picker.el.hidden = districtMode()
    const list = districts.find(([d]) => d === district.value)?.[1] ?? []
    districtInfo.textContent = list.length ? t('walls.form.districtStations', { n: list.length, names: list.map((s) => s.name).join('、') }) : ''
  }
  modes.addEventListener('change', show)
  district.addEventListener('change', () => {
    show()
    if (!name.value.trim() && district.value) name.value = district.value
  })
  show()

  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'admin-form card', 'data-form': 'wall' },
      h('h2', null, t('walls.form.title')),
      formError(),
      apiField('name', t('walls.form.name'), name, t('walls.form.nameHint')),
      h('div', { class: 'field scope-field', dataset: { field: 'stations' } }, h('span', { class: 'field-label' }, t('walls.form.what')), h('small', { class: 'field-error', role: 'alert', hidden: true }), modes, districtBox, picker.el),
      formActions(t('walls.form.create'), () => renderWalls(root)),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitAdmin(form, async () => {
      const chosenDistrict = districtMode() ? district.value : undefined
      const ids = chosenDistrict ? districtStations() : picker.chosen()
      const made = await peopleApi.createDisplayToken({ name: name.value.trim(), stations: ids })
      await renderWalls(root)
      await showWallOnce(made, chosenDistrict)
    })
  })
  replace(root, form)
  name.focus()
}

/**
 * The wall URLs with the token, shown until the admin closes the dialog; then gone from the page.
 * @param {IssuedDisplayToken} made
 * @param {string} [district]
 * @returns {Promise<void>}
 */
export function showWallOnce(made, district) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('wall-once-dialog') ?? document.body.appendChild(h('dialog', { id: 'wall-once-dialog', class: 'secret-dialog' })))
  const urls = wallUrls(location.origin, made.token, { stations: made.stations, ...(district ? { district } : {}) })
  const labelOf = (/** @type {(typeof urls)[number]} */ u) => (u.kind === 'district' ? t('walls.once.district', { district: u.label }) : u.kind === 'all' ? t('walls.once.all') : (store.stations.get(u.label)?.name ?? u.label))
  const row = (/** @type {string} */ label, /** @type {string} */ value, /** @type {Record<string, string>} */ attrs, /** @type {Node | null} */ extra) => {
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'text', readonly: true, value, class: 'secret-value', spellcheck: 'false', autocomplete: 'off', 'aria-label': label, ...attrs }))
    box.addEventListener('focus', () => box.select())
    return h('div', { class: 'field wall-url' }, h('span', { class: 'field-label' }, label), h('div', { class: 'copy-row' }, box, copyButton(() => value, `${t('copy.copy')} ${label}`), extra))
  }
  const done = h('button', { type: 'button', class: 'btn', 'data-testid': 'wall-once-done', onclick: () => dialog.close() }, t('walls.once.done'))
  replace(
    dialog,
    h(
      'div',
      { class: 'secret-body', dataset: { token: made.id } },
      h('h2', null, t('walls.once.title', { name: made.name })),
      h('p', { class: 'secret-once', role: 'alert' }, t('walls.once.note')),
      urls.map((u) => row(labelOf(u), u.url, { 'data-testid': 'wall-url', 'data-kind': u.kind }, h('a', { class: 'btn secondary small', href: u.url, target: '_blank', rel: 'noopener noreferrer' }, t('walls.once.open')))),
      row(t('walls.once.token'), made.token, { 'data-testid': 'wall-token' }, null),
      h('div', { class: 'dialog-actions' }, done),
    ),
  )
  dialog.showModal()
  const first = /** @type {HTMLInputElement | null} */ (dialog.querySelector('[data-testid=wall-url]'))
  first?.focus()
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        dialog.replaceChildren() // the token does not stay in the page
        resolve()
      },
      { once: true },
    )
  })
}
