// The admin view (contract v2 §E): every station with its devices; create and edit a station,
// add a device and show its secret once, rotate a secret, disable a device, download the station
// file. The list follows the live pushes; a form replaces it while open, so a push never redraws a
// form being filled in.
import { ask, toast } from './dialog.js'
import { h, patch, replace } from './dom.js'
import { onLangChange, t } from './i18n.js'
import { adminApi } from './admin-data.js'
import { deviceForm } from './admin-device-form.js'
import { showSecretOnce } from './admin-secret.js'
import { stationForm } from './admin-station-form.js'
import { selectStation, store } from './store.js'

/**
 * @typedef {import('./admin-data.js').StationConfig} StationConfig
 * @typedef {import('./admin-data.js').DeviceConfig} DeviceConfig
 * @typedef {import('./api.js').StationStatus} StationStatus
 * @typedef {{ kind: 'list' } | { kind: 'station', id: string } | { kind: 'new-station' } | { kind: 'edit-station', id: string } | { kind: 'add-device', id: string }} Screen
 */

/** `config`: the open station's file form, as last fetched; `relabel`: the language changed, the view was not left */
/** @type {{ screen: Screen, flash: string | null, config: StationConfig | null, seq: number, drawPending: boolean, relabel: boolean }} */
const ui = { screen: { kind: 'list' }, flash: null, config: null, seq: 0, drawPending: false, relabel: false }
// Told before the page redraws its views in the other language (registered first).
onLangChange(() => (ui.relabel = document.body.dataset.view === 'admin'))

/**
 * Draws the admin view. `fresh` (the view was opened) goes back to the list; a live update redraws
 * the list or the open station at most once a frame and leaves a form alone.
 * @param {HTMLElement} root
 * @param {{ fresh?: boolean }} [opts]
 */
export function renderAdmin(root, opts = {}) {
  if (opts.fresh && ui.relabel) {
    // Another language: the list or the station is drawn again in it; a form being filled in is kept.
    ui.relabel = false
    if (ui.screen.kind === 'list' || ui.screen.kind === 'station') replace(root)
    else return
  } else if (opts.fresh) {
    ui.screen = { kind: 'list' }
    ui.flash = null
    replace(root)
  }
  if (document.body.dataset.view !== 'admin' || ui.drawPending) return
  if (ui.screen.kind !== 'list' && ui.screen.kind !== 'station') return
  ui.drawPending = true
  requestAnimationFrame(() => {
    ui.drawPending = false
    const screen = ui.screen
    if (screen.kind === 'list') patch(root, listScreen(root))
    else if (screen.kind === 'station' && ui.config?.id === screen.id) patch(root, stationScreen(root, ui.config))
  })
}

/**
 * @param {HTMLElement} root
 * @param {Screen} screen
 * @param {string | null} [flash]
 * @returns {Promise<void>}
 */
async function go(root, screen, flash = null) {
  ui.screen = screen
  ui.flash = flash
  const seq = ++ui.seq
  window.scrollTo({ top: 0 })
  if (screen.kind === 'list') return replace(root, listScreen(root))
  if (screen.kind === 'new-station') return replace(root, stationForm({ categories: categoriesInUse(), cancel: () => go(root, { kind: 'list' }), done: (body) => go(root, { kind: 'station', id: body.id }, t('admin.station.created', { name: body.name })) }))
  replace(root, h('p', { class: 'empty' }, t('admin.loading')))
  let config
  try {
    config = await adminApi.config(screen.id)
  } catch (err) {
    if (seq === ui.seq) replace(root, backButton(root), h('p', { class: 'error' }, t('error.load', { msg: err instanceof Error ? err.message : String(err) })))
    return
  }
  if (seq !== ui.seq) return
  ui.config = config
  // the header's station follows the one being set up, so the board tab shows it
  selectStation(config.id)
  const toStation = (/** @type {string | null} */ message) => go(root, { kind: 'station', id: config.id }, message)
  if (screen.kind === 'station') replace(root, stationScreen(root, config))
  else if (screen.kind === 'edit-station') replace(root, stationForm({ station: config, categories: categoriesInUse(), cancel: () => toStation(null), done: (body) => toStation(t('admin.station.saved', { name: body.name })) }))
  else if (screen.kind === 'add-device')
    replace(
      root,
      deviceForm({
        station: config,
        cancel: () => toStation(null),
        done: async (issued) => {
          // The list is drawn behind the dialog, so that closing it lands on the new device.
          await toStation(null)
          await showSecretOnce({ station: config.id, ...issued })
        },
      }),
    )
}

/** @param {HTMLElement} root */
function listScreen(root) {
  const stations = [...store.stations.values()].sort((a, b) => (a.district ?? '').localeCompare(b.district ?? '') || a.id.localeCompare(b.id))
  return [
    h('div', { class: 'admin-head', 'data-key': 'head' }, h('h2', null, t('admin.title')), h('button', { type: 'button', class: 'btn', 'data-action': 'new-station', onclick: () => go(root, { kind: 'new-station' }) }, t('admin.newStation'))),
    ui.flash ? h('p', { class: 'flash', role: 'status', 'data-key': 'flash' }, ui.flash) : null,
    stations.length
      ? h(
          'ul',
          { class: 'admin-stations', 'data-key': 'stations', 'data-testid': 'admin-stations' },
          stations.map((s) =>
            h(
              'li',
              { class: 'admin-station card', 'data-key': s.id, 'data-station': s.id },
              h('div', { class: 'admin-station-name' }, h('strong', null, s.name), ' ', h('span', { class: 'muted' }, s.id), s.district ? h('span', { class: 'district' }, s.district) : null),
              h('div', { class: 'muted small' }, t('admin.devices', { n: s.devices.length }), ' · ', t('admin.devicesOnline', { n: s.devices.filter((d) => d.online).length })),
              h('button', { type: 'button', class: 'btn secondary small', 'data-action': 'open', 'data-station': s.id, onclick: () => go(root, { kind: 'station', id: s.id }) }, t('admin.open')),
            ),
          ),
        )
      : h('p', { class: 'empty', 'data-key': 'empty' }, t('admin.none')),
  ]
}

/** @param {HTMLElement} root */
function backButton(root) {
  return h('button', { type: 'button', class: 'link back', 'data-action': 'back', onclick: () => go(root, { kind: 'list' }) }, `← ${t('admin.back')}`)
}

/**
 * @param {HTMLElement} root
 * @param {StationConfig} config
 */
function stationScreen(root, config) {
  const status = store.stations.get(config.id)
  const online = new Map((status?.devices ?? []).map((d) => [d.id, d.online]))
  const devices = config.devices ?? []
  return h(
    'div',
    { class: 'admin-station-screen', 'data-station': config.id },
    backButton(root),
    h(
      'div',
      { class: 'admin-head' },
      h('h2', null, config.name, ' ', h('span', { class: 'muted' }, config.id)),
      h(
        'div',
        { class: 'admin-tools' },
        h('button', { type: 'button', class: 'btn secondary', 'data-action': 'edit-station', onclick: () => go(root, { kind: 'edit-station', id: config.id }) }, t('admin.editStation')),
        status ? h('a', { class: 'btn secondary', href: '#board', 'data-testid': 'open-board' }, t('admin.openBoard')) : null,
        h('a', { class: 'btn secondary', href: adminApi.configUrl(config.id), download: `${config.id}.json`, title: t('admin.exportHint'), 'data-testid': 'export-config' }, t('admin.exportFile')),
      ),
    ),
    ui.flash ? h('p', { class: 'flash', role: 'status' }, ui.flash) : null,
    h('p', { class: 'muted small' }, [config.district, config.timezone, `${t('admin.form.doors')} ${config.doors.length}`, `${t('admin.form.keys')} ${config.keys.length}`, `${t('admin.form.equipment')} ${config.equipment.length}`].filter(Boolean).join(' · ')),
    h('div', { class: 'admin-head' }, h('h3', null, t('admin.device.title')), h('button', { type: 'button', class: 'btn', 'data-action': 'add-device', onclick: () => go(root, { kind: 'add-device', id: config.id }) }, t('admin.device.add'))),
    devices.length
      ? h('ul', { class: 'admin-devices', 'data-testid': 'admin-devices' }, devices.map((d) => deviceRow(root, config, d, online.get(d.id) ?? false)))
      : h('p', { class: 'empty' }, t('admin.device.none')),
  )
}

/**
 * @param {HTMLElement} root
 * @param {StationConfig} config
 * @param {DeviceConfig} d
 * @param {boolean} online
 */
function deviceRow(root, config, d, online) {
  const state = d.disabled ? 'disabled' : online ? 'online' : 'offline'
  return h(
    'li',
    { class: `admin-device state-${state}`, 'data-key': d.id, 'data-device': d.id, 'data-state': state },
    h('div', { class: 'admin-device-name' }, h('strong', null, d.id), d.name ? ` · ${d.name}` : '', ' ', h('span', { class: 'muted' }, t(`admin.device.type.${d.type}`))),
    h('span', { class: `chip chip-${state}`, 'data-testid': 'device-state' }, t(`admin.device.${state}`)),
    h('div', { class: 'muted small' }, covers(config, d)),
    d.disabled
      ? null
      : h(
          'div',
          { class: 'admin-device-actions' },
          h('button', { type: 'button', class: 'btn secondary small', 'data-action': 'rotate', 'data-device': d.id, onclick: () => rotate(root, config, d) }, t('admin.device.rotate')),
          h('button', { type: 'button', class: 'btn danger small', 'data-action': 'disable', 'data-device': d.id, onclick: () => disable(root, config, d) }, t('admin.device.disable')),
        ),
  )
}

/**
 * What a device watches, by name.
 * @param {StationConfig} s
 * @param {DeviceConfig} d
 */
function covers(s, d) {
  const name = (/** @type {{ id: string, name: string }[]} */ list, /** @type {string} */ id) => list.find((x) => x.id === id)?.name ?? id
  if (d.type === 'door') return t('admin.device.covers.door', { what: name(s.doors, d.door ?? '') })
  if (d.type === 'keybox') return t('admin.device.covers.keybox', { what: Object.entries(d.slots ?? {}).map(([slot, key]) => `${slot} ${name(s.keys, key)}`).join('，') })
  return t('admin.device.covers.equipment', { what: (d.items ?? []).map((i) => name(s.equipment, i)).join('，') })
}

/**
 * @param {HTMLElement} root
 * @param {StationConfig} config
 * @param {DeviceConfig} d
 */
async function rotate(root, config, d) {
  const ok = await ask({ title: t('admin.device.rotateTitle', { id: d.id }), text: t('admin.device.rotateText'), confirm: t('admin.device.rotate'), danger: true })
  if (!ok) return
  try {
    const issued = await adminApi.rotateSecret(d.id)
    await showSecretOnce({ station: config.id, device: issued.device ?? d, secret: issued.secret })
  } catch (err) {
    toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
  }
  await go(root, { kind: 'station', id: config.id })
}

/**
 * @param {HTMLElement} root
 * @param {StationConfig} config
 * @param {DeviceConfig} d
 */
async function disable(root, config, d) {
  const ok = await ask({ title: t('admin.device.disableTitle', { id: d.id }), text: t('admin.device.disableText'), confirm: t('admin.device.disable'), danger: true })
  if (!ok) return
  try {
    await adminApi.disableDevice(d.id)
    await go(root, { kind: 'station', id: config.id }, t('admin.device.disabledDone', { id: d.id }))
  } catch (err) {
    toast(t('error.action', { msg: err instanceof Error ? err.message : String(err) }))
  }
}

/** Categories of every station the page knows, offered when an item is added. */
function categoriesInUse() {
  return [...new Set([...store.stations.values()].flatMap((s) => s.equipment.map((e) => e.category)))]
}
