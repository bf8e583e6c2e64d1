import type { Alert, RuleName, Severity } from '../alerts/alert.ts'
import type { Language } from './config.ts'

/** An alert as notifications see it; `drill` arrives with contract v2 §D. */
export type NotifyAlert = Alert & { drill?: boolean }

export interface StationInfo { name: string; timezone: string }

/** What a channel adapter is given: the same content as markdown and plain text. */
export interface NotifyMessage {
  kind: 'alert' | 'resolved' | 'summary' | 'test'
  title: string
  text: string
  markdown: string
  severity: Severity
  /** for the webhook (the v1 body) and for SMS template parameters */
  alert?: NotifyAlert
  change?: 'opened' | 'acknowledged' | 'resolved' | 'escalated'
  by?: string
  /** people addressed (SMS sends to their phones) */
  to?: { id: string; name: string; phone?: string }[]
  /** short values for an SMS template: station, alert, severity, since, link */
  params: Record<string, string>
}

const RULES: Record<Language, Record<RuleName, string>> = {
  'zh-CN': {
    'door-forced': '门被强行打开',
    'door-open-too-long': '门长时间未关',
    'key-overdue': '钥匙逾期未还',
    'equipment-missing': '器材不在位',
    'stock-low': '物资库存不足',
    'device-offline': '设备离线',
    'battery-low': '设备电量低',
    tamper: '设备被拆动',
    expiring: '物资即将过期',
    expired: '物资已过期',
    'inspection-overdue': '巡检逾期未做',
    'inspection-failed': '巡检项目不合格',
  },
  en: {
    'door-forced': 'Door forced open',
    'door-open-too-long': 'Door open too long',
    'key-overdue': 'Key not returned',
    'equipment-missing': 'Equipment missing',
    'stock-low': 'Stock low',
    'device-offline': 'Device offline',
    'battery-low': 'Battery low',
    tamper: 'Device tampered with',
    expiring: 'Supplies expiring soon',
    expired: 'Supplies expired',
    'inspection-overdue': 'Inspection overdue',
    'inspection-failed': 'Inspection item failed',
  },
}
const SEVERITY: Record<Language, Record<Severity, string>> = {
  'zh-CN': { critical: '紧急', warning: '警告', info: '提示' },
  en: { critical: 'CRITICAL', warning: 'Warning', info: 'Info' },
}
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
export const bySeverity = (a: { severity: Severity }, b: { severity: Severity }) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]

const T = {
  'zh-CN': { drill: '【演练】', where: '位置', since: '开始时间', key: '取钥匙人', view: '查看告警', resolved: '已解除', resolvedBy: '处理人', summary: (n: number) => `${n} 条告警（合并通知）`, test: '测试消息：通知渠道工作正常', more: (n: number) => `另有 ${n} 条` },
  en: { drill: '[DRILL] ', where: 'Where', since: 'Since', key: 'Key taken by', view: 'Open alert', resolved: 'Resolved', resolvedBy: 'By', summary: (n: number) => `${n} alerts (merged)`, test: 'Test message: this notification channel works', more: (n: number) => `and ${n} more` },
}

export interface RenderContext {
  language: Language
  publicUrl: string
  station: StationInfo
  /** who took the key of the door concerned, when the service knows */
  keyHolder?: string
}

export const alertLink = (publicUrl: string, id: string) => `${publicUrl}/#/alerts/${encodeURIComponent(id)}`

export function formatTime(t: number, tz: string, language: Language): string {
  return new Intl.DateTimeFormat(language, { timeZone: tz, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(t))
}

function headline(a: NotifyAlert, ctx: RenderContext): string {
  const t = T[ctx.language]
  return `${a.drill ? t.drill : ''}【${SEVERITY[ctx.language][a.severity]}】${ctx.station.name} · ${RULES[ctx.language][a.rule] ?? a.rule}`
}

/** The message for one alert that opened (or is repeated while still active). */
export function renderAlert(a: NotifyAlert, ctx: RenderContext): Omit<NotifyMessage, 'to' | 'change' | 'by'> {
  const t = T[ctx.language]
  const title = headline(a, ctx)
  const link = alertLink(ctx.publicUrl, a.id)
  const since = formatTime(a.openedAt, ctx.station.timezone, ctx.language)
  const lines = [a.message, `${t.where}: ${a.subject}`, `${t.since}: ${since}`, ...(ctx.keyHolder ? [`${t.key}: ${ctx.keyHolder}`] : [])]
  return {
    kind: 'alert',
    title,
    severity: a.severity,
    alert: a,
    text: [title, ...lines, `${t.view}: ${link}`].join('\n'),
    markdown: [`### ${title}`, ...lines.map((l) => `> ${l}`), `[${t.view}](${link})`].join('\n'),
    params: { station: ctx.station.name, alert: `${a.drill ? t.drill : ''}${RULES[ctx.language][a.rule] ?? a.rule}`.slice(0, 35), severity: SEVERITY[ctx.language][a.severity], since, link },
  }
}

export function renderResolved(a: NotifyAlert, by: string | undefined, ctx: RenderContext): Omit<NotifyMessage, 'to' | 'change' | 'by'> {
  const t = T[ctx.language]
  const title = `${a.drill ? t.drill : ''}【${t.resolved}】${ctx.station.name} · ${RULES[ctx.language][a.rule] ?? a.rule}`
  const link = alertLink(ctx.publicUrl, a.id)
  const lines = [`${t.where}: ${a.subject}`, `${t.since}: ${formatTime(a.openedAt, ctx.station.timezone, ctx.language)}`, ...(by ? [`${t.resolvedBy}: ${by}`] : [])]
  return {
    kind: 'resolved',
    title,
    severity: a.severity,
    alert: a,
    text: [title, ...lines, `${t.view}: ${link}`].join('\n'),
    markdown: [`### ${title}`, ...lines.map((l) => `> ${l}`), `[${t.view}](${link})`].join('\n'),
    params: { station: ctx.station.name, alert: t.resolved, severity: SEVERITY[ctx.language][a.severity], since: formatTime(a.openedAt, ctx.station.timezone, ctx.language), link },
  }
}

const SUMMARY_LINES = 30

/** One message for many alerts (storm or rate limit), critical first, each with its link. */
export function renderSummary(alerts: { alert: NotifyAlert; station: StationInfo }[], language: Language, publicUrl: string): Omit<NotifyMessage, 'to'> {
  const t = T[language]
  const sorted = [...alerts].sort((x, y) => bySeverity(x.alert, y.alert) || x.alert.openedAt - y.alert.openedAt)
  const worst = sorted[0]?.alert.severity ?? 'info'
  const drill = sorted.length > 0 && sorted.every((s) => s.alert.drill)
  const stations = [...new Set(sorted.map((s) => s.station.name))].join('、')
  const title = `${drill ? t.drill : ''}【${SEVERITY[language][worst]}】${stations} · ${t.summary(sorted.length)}`
  const shown = sorted.slice(0, SUMMARY_LINES)
  const line = (s: (typeof sorted)[number]) =>
    `${s.alert.drill ? t.drill : ''}[${SEVERITY[language][s.alert.severity]}] ${formatTime(s.alert.openedAt, s.station.timezone, language)} ${RULES[language][s.alert.rule] ?? s.alert.rule} ${s.alert.subject}`
  // Everything past the shown lines is still counted by severity, so no critical goes unmentioned.
  const rest = sorted.slice(SUMMARY_LINES)
  const restLine = rest.length
    ? [`${t.more(rest.length)}: ${(['critical', 'warning', 'info'] as const).map((s) => `${SEVERITY[language][s]} ${rest.filter((r) => r.alert.severity === s).length}`).join(', ')}`]
    : []
  return {
    kind: 'summary',
    title,
    severity: worst,
    text: [title, ...shown.map((s) => `${line(s)} ${alertLink(publicUrl, s.alert.id)}`), ...restLine].join('\n'),
    markdown: [`### ${title}`, ...shown.map((s) => `- [${line(s)}](${alertLink(publicUrl, s.alert.id)})`), ...restLine].join('\n'),
    params: { station: stations.slice(0, 35), alert: t.summary(sorted.length), severity: SEVERITY[language][worst], since: formatTime(sorted[0]?.alert.openedAt ?? 0, sorted[0]?.station.timezone ?? 'UTC', language), link: `${publicUrl}/#/alerts` },
  }
}

export function renderTest(channel: string, language: Language, publicUrl: string): Omit<NotifyMessage, 'to'> {
  const t = T[language]
  const title = `stationwatch · ${channel}`
  return { kind: 'test', title, severity: 'info', text: `${title}\n${t.test}\n${publicUrl}`, markdown: `### ${title}\n${t.test}\n${publicUrl}`, params: { station: 'stationwatch', alert: t.test.slice(0, 35), severity: SEVERITY[language].info, since: '', link: publicUrl } }
}
