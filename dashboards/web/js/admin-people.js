// The admin view's users tab (contract §4, §11): every user with role and station scope; create a
// user, change a user's role, scope or password. A field the API refuses is shown beside it.
import { ask } from './dialog.js'
import { h, replace } from './dom.js'
import { t } from './i18n.js'
import { formatTime } from './format.js'
import { formActions, formError } from './ledger-form-kit.js'
import { apiField, submitAdmin } from './admin-kit.js'
import { peopleApi } from './people-data.js'
import { stationChecks } from './station-checks.js'
import { selectedStation, store, zoneOf } from './store.js'

/**
 * @typedef {import('./people-data.js').UserRow} UserRow
 * @typedef {import('./people-data.js').UserChange} UserChange
 * @typedef {import('./api.js').Role} Role
 */

const ROLES = /** @type {Role[]} */ (['viewer', 'staff', 'responder', 'admin'])
const USERNAME_PATTERN = '[A-Za-z0-9._@\\-]{1,64}'

/** `seq` drops the answer of a list fetch that a newer screen has replaced */
const ui = { seq: 0 }

/**
 * Opens the users tab on its list.
 * @param {HTMLElement} root
 * @param {string | null} [flash]
 */
export async function renderPeople(root, flash = null) {
  const seq = ++ui.seq
  replace(root, h('p', { class: 'empty' }, t('people.loading')))
  let users
  try {
    users = await peopleApi.users()
  } catch (err) {
    if (seq === ui.seq) replace(root, h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
    return
  }
  if (seq !== ui.seq) return
  const list = users.slice().sort((a, b) => a.name.localeCompare(b.name))
  replace(
    root,
    h('div', { class: 'admin-head' }, h('h2', null, t('people.title')), h('button', { type: 'button', class: 'btn', 'data-action': 'new-user', onclick: () => openForm(root, null) }, t('people.new'))),
    flash ? h('p', { class: 'flash', role: 'status' }, flash) : null,
    list.length ? h('ul', { class: 'admin-users', 'data-testid': 'admin-users' }, list.map((u) => userRow(root, u))) : h('p', { class: 'empty' }, t('people.none')),
  )
}

/**
 * @param {HTMLElement} root
 * @param {UserRow} u
 */
function userRow(root, u) {
  return h(
    'li',
    { class: 'admin-user card', dataset: { user: u.name, role: u.role } },
    h('div', { class: 'admin-user-name' }, h('strong', null, u.name), store.user?.name === u.name ? h('span', { class: 'muted small' }, ` ${t('people.you')}`) : null),
    h('span', { class: `chip role-chip role-${u.role}`, 'data-testid': 'user-role' }, t(`role.${u.role}`)),
    h('div', { class: 'admin-user-scope small', 'data-testid': 'user-scope' }, scopeText(u.stations)),
    h('div', { class: 'muted small' }, t('people.created', { time: formatTime(u.createdAt, zoneOf(selectedStation())) })),
    h('button', { type: 'button', class: 'btn secondary small', 'data-action': 'edit-user', dataset: { user: u.name }, onclick: () => openForm(root, u) }, t('people.edit')),
  )
}

/** @param {string[] | undefined} stations */
function scopeText(stations) {
  if (!stations) return t('people.allStations')
  if (stations.length === 0) return t('people.noStations')
  const names = stations.map((id) => store.stations.get(id)?.name ?? id)
  return names.length <= 4 ? names.join('、') : `${names.slice(0, 3).join('、')} … ${t('people.stationsN', { n: names.length })}`
}

/**
 * The create form (`user` null) or the change form.
 * @param {HTMLElement} root
 * @param {UserRow | null} user
 */
function openForm(root, user) {
  ui.seq++ // a list still loading does not replace the form
  window.scrollTo({ top: 0 })
  const back = (/** @type {string | null} */ flash) => renderPeople(root, flash)
  const stations = [...store.stations.values()]
  const seen = new Set(stations.map((s) => s.id))
  // Stations of the scope this admin cannot see stay in it: the form cannot show them, so it must not drop them.
  const unseen = (user?.stations ?? []).filter((id) => !seen.has(id))

  const username = /** @type {HTMLInputElement} */ (h('input', { type: 'text', required: true, pattern: USERNAME_PATTERN, maxlength: 64, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }))
  const password = /** @type {HTMLInputElement} */ (h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 256, required: !user }))
  const role = /** @type {HTMLSelectElement} */ (h('select', null, ROLES.map((r) => h('option', { value: r }, t(`role.${r}`)))))
  role.value = user?.role ?? 'viewer'
  const scoped = !!user?.stations
  const radio = (/** @type {'all' | 'some'} */ v, /** @type {string} */ label) => h('label', { class: 'check' }, h('input', { type: 'radio', name: 'scope-mode', value: v, checked: (v === 'some') === scoped, 'data-testid': `scope-${v}` }), label)
  const modes = h('div', { class: 'checks', role: 'radiogroup', 'aria-label': t('people.form.scope') }, radio('all', t('people.form.scopeAll')), radio('some', t('people.form.scopeSome')))
  const picker = stationChecks({ stations, chosen: user?.stations ?? [], idPrefix: 'uf-stations' })
  const adminNote = h('small', { class: 'hint' }, t('people.form.adminScope'))
  const someMode = () => /** @type {HTMLInputElement | null} */ (modes.querySelector('input[value=some]'))?.checked ?? false
  const showScope = () => {
    picker.el.hidden = !someMode()
    adminNote.hidden = !(someMode() && role.value === 'admin')
  }
  modes.addEventListener('change', () => (showScope(), someMode() && picker.focus()))
  role.addEventListener('change', showScope)
  showScope()

  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'admin-form card', 'data-form': 'user', novalidate: false },
      h('h2', null, user ? t('people.form.editTitle', { name: user.name }) : t('people.form.newTitle')),
      formError(),
      user ? null : apiField('username', t('people.form.username'), username, t('people.form.usernameHint')),
      apiField('password', user ? t('people.form.newPassword') : t('people.form.password'), password, t('people.form.passwordHint')),
      apiField('role', t('people.form.role'), role, t('people.form.roleHint')),
      h(
        'div',
        { class: 'field scope-field', dataset: { field: 'stations' } },
        h('span', { class: 'field-label' }, t('people.form.scope')),
        modes,
        h('small', { class: 'hint' }, t('people.form.scopeHint')),
        picker.el,
        adminNote,
        h('small', { class: 'field-error', role: 'alert', hidden: true }),
      ),
      formActions(user ? t('people.form.save') : t('people.form.create'), () => back(null)),
    )
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    submitAdmin(form, async () => {
      const scope = someMode() ? [...picker.chosen(), ...unseen] : undefined
      if (!user) {
        const made = await peopleApi.createUser({ username: username.value.trim(), password: password.value, role: /** @type {Role} */ (role.value), ...(scope ? { stations: scope } : {}) })
        await back(t('people.createdDone', { name: made.name }))
        return
      }
      /** @type {UserChange} */
      const change = {}
      if (password.value) change.password = password.value
      if (role.value !== user.role) change.role = /** @type {Role} */ (role.value)
      if (!scope && user.stations) change.stations = null
      if (scope && !sameSet(scope, user.stations)) change.stations = scope
      if (Object.keys(change).length === 0) return void (await back(t('people.nothingChanged')))
      // Taking away one's own admin role locks one out of this view: asked first.
      if (user.name === store.user?.name && change.role && user.role === 'admin') {
        const ok = await ask({ title: t('people.selfDemoteTitle'), text: t('people.selfDemoteText', { role: t(`role.${change.role}`) }), confirm: t('people.form.save'), danger: true })
        if (!ok) return
      }
      await peopleApi.changeUser(user.name, change)
      await back(t('people.savedDone', { name: user.name }))
    })
  })
  replace(root, form)
  ;(user ? role : username).focus()
}

/**
 * @param {string[]} a
 * @param {string[] | undefined} b
 */
function sameSet(a, b) {
  if (!b || a.length !== b.length) return false
  const s = new Set(b)
  return a.every((x) => s.has(x))
}
