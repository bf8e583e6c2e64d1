// Times are shown in the station's time zone, whatever the browser's zone is.
import { currentLang, has, t } from './i18n.js'

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map()

/**
 * @param {string} timeZone
 * @param {'time' | 'datetime' | 'full'} style
 */
function formatter(timeZone, style) {
  const key = `${currentLang()}|${timeZone}|${style}`
  let f = formats.get(key)
  if (!f) {
    /** @type {Intl.DateTimeFormatOptions} */
    const opts = { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' }
    if (style !== 'time') Object.assign(opts, { month: '2-digit', day: '2-digit' })
    if (style === 'full') opts.year = 'numeric'
    f = new Intl.DateTimeFormat(currentLang() === 'en' ? 'en-GB' : 'zh-CN', opts)
    formats.set(key, f)
  }
  return f
}

/**
 * A moment as wall-clock time at the station: only the time when it is today there, else with the date.
 * @param {number | null | undefined} ms
 * @param {string} timeZone
 */
export function formatTime(ms, timeZone) {
  if (ms === null || ms === undefined) return '—'
  const sameDay = dayKey(ms, timeZone) === dayKey(Date.now(), timeZone)
  return formatter(timeZone, sameDay ? 'time' : 'datetime').format(ms)
}

/**
 * @param {number} ms
 * @param {string} timeZone
 */
export function formatDateTime(ms, timeZone) {
  return formatter(timeZone, 'full').format(ms)
}

/**
 * @param {number} ms
 * @param {string} timeZone
 */
function dayKey(ms, timeZone) {
  return formatter(timeZone, 'full').format(ms).slice(0, 10)
}

/**
 * An axis label: "14:30", or "11-26 14:30" when the axis spans more than a day.
 * @param {number} ms
 * @param {string} timeZone
 * @param {boolean} withDate
 */
export function formatTick(ms, timeZone, withDate) {
  const key = `${currentLang()}|${timeZone}|tick${withDate}`
  let f = formats.get(key)
  if (!f) {
    /** @type {Intl.DateTimeFormatOptions} */
    const opts = { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }
    if (withDate) Object.assign(opts, { month: '2-digit', day: '2-digit' })
    f = new Intl.DateTimeFormat(currentLang() === 'en' ? 'en-GB' : 'zh-CN', opts)
    formats.set(key, f)
  }
  return f.format(ms)
}

/**
 * A length of time in words: "5 分钟", "2 h 5 min".
 * @param {number} ms
 */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return t('dur.s', { n: s })
  const m = Math.floor(s / 60)
  if (m < 60) return t('dur.m', { n: m })
  const hours = Math.floor(m / 60)
  if (hours < 24) return t('dur.hm', { h: hours, m: m % 60 })
  return t('dur.dh', { d: Math.floor(hours / 24), h: hours % 24 })
}

/**
 * The offset of `timeZone` from UTC at `ms`, in ms (Asia/Shanghai: +8 h).
 * @param {number} ms
 * @param {string} timeZone
 */
export function zoneOffset(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(ms)
  /** @param {string} type */
  const get = (type) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'))
  return asUtc - Math.floor(ms / 1000) * 1000
}

/**
 * A `<input type="datetime-local">` value read as wall-clock time at the station → ms since the epoch.
 * @param {string} value e.g. 2025-11-26T08:30
 * @param {string} timeZone
 * @returns {number | undefined}
 */
export function parseStationTime(value, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value)
  if (!m) return undefined
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))
  let ms = wall - zoneOffset(wall, timeZone)
  ms = wall - zoneOffset(ms, timeZone) // once more, for a moment next to a DST change
  return ms
}

/**
 * ms since the epoch → a `datetime-local` value in the station's zone.
 * @param {number} ms
 * @param {string} timeZone
 */
export function toStationInput(ms, timeZone) {
  return new Date(ms + zoneOffset(ms, timeZone)).toISOString().slice(0, 16)
}

/** @param {string} category the category's name in the page's language (its id when there is none) */
export function categoryName(category) {
  return has(`cat.${category}`) ? t(`cat.${category}`) : category
}

/**
 * Items by category, in the order the categories first appear.
 * @template {{ category: string }} T
 * @param {T[]} items
 * @returns {Map<string, T[]>}
 */
export function byCategory(items) {
  /** @type {Map<string, T[]>} */
  const groups = new Map()
  for (const e of items) groups.set(e.category, [...(groups.get(e.category) ?? []), e])
  return groups
}
