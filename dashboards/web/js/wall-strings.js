// The wall screen's texts (大屏), as [Simplified Chinese, English]; part of STRINGS.

/** @type {Record<string, [string, string]>} */
export const WALL_STRINGS = {
  'wall.title': ['大屏', 'Wall screen'],
  'wall.allStations': ['全部站点', 'All stations'],
  'wall.alerts': ['当前告警', 'Active alerts'],
  'wall.noAlerts': ['无告警', 'No alerts'],
  'wall.more': ['另有 {n} 条', '{n} more'],
  'wall.reasons': ['未就绪原因', 'Why not ready'],
  'wall.count': ['{count} / {min}', '{count} / {min}'],
  'wall.lastUpdate': ['最后更新 {time}', 'Last update {time}'],
  'wall.noUpdate': ['尚未收到数据', 'No data yet'],
  'wall.stale': ['连接中断，以下为 {time} 的状态，正在自动重连', 'Connection lost — showing the state of {time}; reconnecting by itself'],
  'wall.staleNoTime': ['连接中断，正在自动重连', 'Connection lost — reconnecting by itself'],
  'wall.auth': ['此大屏的显示令牌无效或已被撤销；请在管理页面生成新的大屏链接。', "This screen's display token is invalid or revoked; make a new wall-screen link on the admin page."],
  'wall.login': ['未登录：请先登录看板，或用带显示令牌的大屏链接打开本页。', 'Not logged in: log in on the dashboard first, or open this page with a wall-screen link that carries a display token.'],
  'wall.loginLink': ['去登录', 'Log in'],
  'wall.noStation': ['没有可显示的站点 {id}', 'No station {id} to show'],
  'wall.noDistrictStations': ['{district} 没有可显示的站点', 'No stations to show in {district}'],
  'wall.sound': ['点击任意处开启警报声音', 'Click anywhere to turn on the alarm sound'],
  'wall.incident': ['应急处置中', 'Incident in progress'],
  'wall.ackedBy': ['{who} 已确认', 'acknowledged by {who}'],
  'wall.since': ['{time} 起 · 已 {d}', 'since {time} · {d}'],
}
