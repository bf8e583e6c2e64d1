// The overview's texts, as [Simplified Chinese, English]; part of STRINGS.

/** @type {Record<string, [string, string]>} */
export const OVERVIEW_STRINGS = {
  'nav.overview': ['总览', 'Overview'],
  'overview.noDistrict': ['未划分街道', 'No district'],
  'overview.count': ['{n} 个站点', '{n} stations'],
  'overview.summary': ['共 {total} 个站点：未就绪 {notReady}，部分就绪 {degraded}，就绪 {ready}', '{total} stations: {notReady} not ready, {degraded} degraded, {ready} ready'],
  'overview.alerts': ['告警 {n}', '{n} alerts'],
  'overview.open': ['打开 {name} 的看板', 'Open the board of {name}'],
}
