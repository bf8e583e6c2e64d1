// A device's secret, shown once (contract v2 §E) with what the installer needs to connect it
// (contract §3): host and port, client id = username = the device id, password = the secret, the
// topics it publishes to and its will. Closing the dialog takes the secret out of the page.
import { copyButton } from './copy-button.js'
import { h, replace } from './dom.js'
import { t } from './i18n.js'

/**
 * @typedef {import('./admin-data.js').DeviceConfig} DeviceConfig
 */

const PORT_KEY = 'stationwatch.mqttPort'

/**
 * Shows the secret until the admin closes the dialog.
 * @param {{ station: string, device: DeviceConfig, secret: string }} issued
 * @returns {Promise<void>}
 */
export function showSecretOnce(issued) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('admin-secret-dialog') ?? document.body.appendChild(h('dialog', { id: 'admin-secret-dialog', class: 'secret-dialog' })))
  const { station, device, secret } = issued
  const host = /** @type {HTMLInputElement} */ (h('input', { type: 'text', value: location.hostname, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'mqtt-host' }))
  const port = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, max: 65535, value: storedPort(), inputmode: 'numeric', 'data-testid': 'mqtt-port' }))
  const settings = h('pre', { class: 'snippet', 'data-testid': 'mqtt-settings' })
  const mosquitto = h('pre', { class: 'snippet', 'data-testid': 'mosquitto-pub' })
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/mqtt`
  const fill = () => {
    const p = Number(port.value) || 1883
    settings.textContent = JSON.stringify(connectionSettings({ station, device, secret, host: host.value.trim(), port: p, wsUrl }), null, 2)
    mosquitto.textContent = mosquittoLine({ station, device, secret, host: host.value.trim(), port: p })
  }
  host.addEventListener('input', fill)
  port.addEventListener('input', () => {
    fill()
    try {
      localStorage.setItem(PORT_KEY, port.value)
    } catch {
      // not remembered; fine
    }
  })
  fill()
  const secretBox = /** @type {HTMLInputElement} */ (h('input', { type: 'text', readonly: true, value: secret, class: 'secret-value', 'data-testid': 'device-secret', spellcheck: 'false', autocomplete: 'off' }))
  const close = h('button', { type: 'button', class: 'btn', 'data-testid': 'secret-done', onclick: () => dialog.close() }, t('admin.secret.done'))
  replace(
    dialog,
    h(
      'div',
      { class: 'secret-body', dataset: { device: device.id } },
      h('h2', null, t('admin.secret.title', { id: device.id })),
      h('p', { class: 'secret-once', role: 'alert' }, t('admin.secret.once')),
      h('div', { class: 'field' }, h('label', { for: 'af-secret' }, t('admin.secret.secret')), h('div', { class: 'copy-row' }, Object.assign(secretBox, { id: 'af-secret' }), copyButton(() => secret))),
      h('div', { class: 'secret-where' }, h('label', null, t('admin.secret.host'), host), h('label', null, t('admin.secret.port'), port)),
      h('small', { class: 'hint' }, t('admin.secret.portHint')),
      h('h3', null, t('admin.secret.settings'), ' ', copyButton(() => settings.textContent ?? '')),
      settings,
      h('h3', null, t('admin.secret.mosquitto'), ' ', copyButton(() => mosquitto.textContent ?? '')),
      mosquitto,
      h('p', { class: 'hint', 'data-testid': 'mqtt-ws' }, t('admin.secret.websocket', { url: wsUrl })),
      h('div', { class: 'dialog-actions' }, close),
    ),
  )
  dialog.showModal()
  secretBox.select()
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        dialog.replaceChildren() // the secret does not stay in the page
        resolve()
      },
      { once: true },
    )
  })
}

/**
 * The settings a device's firmware needs (contract §3).
 * @param {{ station: string, device: DeviceConfig, secret: string, host: string, port: number, wsUrl: string }} o
 */
export function connectionSettings(o) {
  const base = `stations/${o.station}/devices/${o.device.id}`
  return {
    host: o.host,
    port: o.port,
    protocol: 'MQTT 3.1.1',
    clientId: o.device.id,
    username: o.device.id,
    password: o.secret,
    stateTopic: `${base}/state`,
    statusTopic: `${base}/status`,
    commandTopic: `${base}/cmd`,
    qos: 1,
    will: { topic: `${base}/status`, payload: '{"online":false}', qos: 1, retain: true },
    websocketUrl: o.wsUrl,
  }
}

/**
 * One reading the installer can send to see the device's row change on the board.
 * @param {{ station: string, device: DeviceConfig, secret: string, host: string, port: number }} o
 */
export function mosquittoLine(o) {
  const sample = o.device.type === 'door' ? '"open":false' : o.device.type === 'keybox' ? `"slots":${JSON.stringify(o.device.slots ?? {})}` : `"items":${JSON.stringify(Object.fromEntries((o.device.items ?? []).slice(0, 1).map((i) => [i, true])))}`
  // ts in milliseconds from the installer's shell; the payload is in double quotes for that, so its own quotes are escaped
  const payload = `{"ts":$(date +%s%3N),"seq":1,${sample}}`.replace(/"/g, '\\"')
  return [
    'mosquitto_pub -V mqttv311',
    `-h ${shellQuote(o.host)} -p ${o.port}`,
    `-i ${shellQuote(o.device.id)} -u ${shellQuote(o.device.id)} -P ${shellQuote(o.secret)}`,
    `-q 1 -t ${shellQuote(`stations/${o.station}/devices/${o.device.id}/state`)}`,
    `-m "${payload}"`,
  ].join(' \\\n  ')
}

/** @param {string} s */
function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

function storedPort() {
  try {
    return localStorage.getItem(PORT_KEY) || '1883'
  } catch {
    return '1883'
  }
}
