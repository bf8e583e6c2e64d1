// For admins, under the alert list: each notification channel's health and a "send a test
// message" button with its result (POST /api/notify/test), so a new robot URL or SMS template
// can be tried before an alert needs it.
import { api } from './api.js'
import { h } from './dom.js'
import { t } from './i18n.js'
import { formatTime } from './format.js'
import { selectedStation, zoneOf } from './store.js'

/** @typedef {import('./api.js').ChannelStatus} ChannelStatus */
/** @typedef {import('./api.js').TestDelivery} TestDelivery */

/** @type {Record<string, ChannelStatus> | null} */
let channels = null
let requested = false
/** @type {Map<string, TestDelivery | 'sending'>} */
const results = new Map()

/** @param {() => void} rerender */
export function notifyPanel(rerender) {
  if (!requested) {
    requested = true
    refresh(rerender)
  }
  if (!channels) return null
  const tz = zoneOf(selectedStation())
  const names = Object.keys(channels).sort()
  return h(
    'section',
    { class: 'notify-panel', 'data-testid': 'notify-channels' },
    h('h3', null, t('notify.channels')),
    names.length
      ? h('ul', null, names.map((name) => channelItem(name, /** @type {ChannelStatus} */ (channels?.[name]), tz, rerender)))
      : h('p', { class: 'empty' }, t('notify.noChannels')),
  )
}

/**
 * @param {string} name
 * @param {ChannelStatus} c
 * @param {string} tz
 * @param {() => void} rerender
 */
function channelItem(name, c, tz, rerender) {
  const result = results.get(name)
  const typeKey = `notify.type.${c.type}`
  return h(
    'li',
    { 'data-key': `channel:${name}`, dataset: { channel: name } },
    h('strong', null, name),
    ' ',
    h('span', { class: 'type' }, t(typeKey) === typeKey ? c.type : t(typeKey)),
    h(
      'span',
      { class: 'health' },
      c.lastSuccessAt ? t('notify.lastSuccess', { time: formatTime(c.lastSuccessAt, tz) }) : null,
      c.lastError ? [c.lastSuccessAt ? ' · ' : null, h('span', { class: 'error' }, t('notify.lastError', { time: formatTime(c.lastError.at, tz), error: c.lastError.message }))] : null,
      c.queued ? ` · ${t('notify.queued', { n: c.queued })}` : null,
    ),
    h(
      'button',
      { type: 'button', class: 'btn small secondary', 'data-action': 'notify-test', 'data-channel': name, disabled: result === 'sending', onclick: () => sendTest(name, rerender) },
      t('notify.test'),
    ),
    result && result !== 'sending'
      ? h(
          'span',
          { class: `test-result status-${result.status}`, role: 'status', 'data-testid': 'notify-test-result' },
          result.status === 'sent' ? t('notify.testSent', { time: formatTime(result.at, tz) }) : t('notify.testFailed', { error: result.error ?? '' }),
        )
      : result === 'sending'
        ? h('span', { class: 'test-result', role: 'status' }, t('notify.testing'))
        : null,
  )
}

/** @param {() => void} rerender */
async function refresh(rerender) {
  try {
    channels = await api.notifyStatus()
  } catch {
    channels = null
    requested = false
  }
  rerender()
}

/**
 * @param {string} name
 * @param {() => void} rerender
 */
async function sendTest(name, rerender) {
  results.set(name, 'sending')
  rerender()
  try {
    results.set(name, await api.notifyTest(name))
  } catch (err) {
    results.set(name, { at: Date.now(), channel: name, status: 'failed', error: err instanceof Error ? err.message : String(err) })
  }
  await refresh(rerender)
}
