import { z } from 'zod'

/**
 * NOTIFY_CONFIG (contract v2 §B). A secret (and any URL that carries a key or token) is either the
 * value itself or `{"env": "NAME"}`: the value is read from that environment variable when the file
 * is loaded, so the file can be committed without secrets. A named variable that is unset or empty
 * stops start-up naming the field and the variable, never a value.
 */
export type Language = 'zh-CN' | 'en'

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/
const STATION_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

const secretRef = z.union([z.string().min(1), z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) })])
const fullUrl = (v: string) => {
  try {
    const u = new URL(v)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}
const time = z.string().regex(TIME, { error: 'must be a time HH:MM (00:00–23:59)' })
const language = z.enum(['zh-CN', 'en'])

const common = { language: language.optional() }
const channelSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('wecom'), url: secretRef, msgtype: z.enum(['markdown', 'text']).default('markdown'), ...common }),
  z.strictObject({ type: z.literal('dingtalk'), url: secretRef, secret: secretRef.optional(), ...common }),
  z.strictObject({ type: z.literal('feishu'), url: secretRef, secret: secretRef.optional(), ...common }),
  z.strictObject({
    type: z.literal('sms-aliyun'),
    accessKeyId: secretRef,
    accessKeySecret: secretRef,
    signName: z.string().min(1),
    templateCode: z.string().min(1),
    endpoint: z.string().default('https://dysmsapi.aliyuncs.com'),
    ...common,
  }),
  z.strictObject({ type: z.literal('webhook'), url: secretRef, ...common }),
])

const stations = z.array(z.string().refine((s) => s === '*' || STATION_ID.test(s), { error: 'must be "*" or a station id' })).min(1)
const severity = z.enum(['critical', 'warning', 'info'])
const window = z.strictObject({ from: time, to: time })

const fileSchema = z.strictObject({
  publicUrl: z.string().refine(fullUrl, { error: 'must be a full http(s) URL' }),
  language: language.default('zh-CN'),
  channels: z.record(z.string().min(1), channelSchema),
  people: z.array(z.strictObject({ id: z.string().min(1), name: z.string().min(1), phone: z.string().regex(/^\+?\d{5,20}$/, { error: 'must be a phone number' }).optional() })).default([]),
  onCall: z
    .array(z.strictObject({ stations, days: z.string().default('mon-sun').refine((d) => parseDays(d) !== undefined, { error: 'must be day names like "mon-fri" or "sat,sun"' }), from: time, to: time, people: z.array(z.string().min(1)).min(1) }))
    .default([]),
  routes: z
    .array(
      z.strictObject({
        stations,
        severities: z.array(severity).min(1),
        repeatEverySeconds: z.number().positive().optional(),
        quietHours: window.optional(),
        steps: z
          .array(
            z.strictObject({
              afterSeconds: z.number().min(0),
              channels: z.array(z.string().min(1)).min(1),
              to: z.union([z.literal('on-call'), z.array(z.string().min(1)).min(1)]).optional(),
            }),
          )
          .min(1),
      }),
    )
    .default([]),
})

export type NotifyFile = z.infer<typeof fileSchema>
/** A channel with its secrets read from the environment. */
export type ChannelConfig =
  | { type: 'wecom'; url: string; msgtype: 'markdown' | 'text'; language?: Language }
  | { type: 'dingtalk'; url: string; secret?: string; language?: Language }
  | { type: 'feishu'; url: string; secret?: string; language?: Language }
  | { type: 'sms-aliyun'; accessKeyId: string; accessKeySecret: string; signName: string; templateCode: string; endpoint: string; language?: Language }
  | { type: 'webhook'; url: string; language?: Language }
export type ChannelType = ChannelConfig['type']
export type Person = NotifyFile['people'][number]
export type OnCallWindow = NotifyFile['onCall'][number] & { weekdays: Set<number> }
export type Route = NotifyFile['routes'][number]
export type Step = Route['steps'][number]

export interface NotifyConfig {
  publicUrl: string
  language: Language
  channels: Map<string, ChannelConfig>
  people: Map<string, Person>
  onCall: OnCallWindow[]
  routes: Route[]
}

export class NotifyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`NOTIFY_CONFIG is invalid:\n  ${problems.join('\n  ')}`)
    this.name = 'NotifyConfigError'
  }
}

/**
 * Validates a parsed NOTIFY_CONFIG file and reads the secrets it names from `env`. Every problem
 * is listed as `field: what is wrong ("bad value")`; secrets are never echoed.
 * `knownStations`, when given, makes a station id that is not configured an error too.
 */
export function parseNotifyConfig(data: unknown, env: Record<string, string | undefined>, knownStations?: Iterable<string>): NotifyConfig {
  const parsed = fileSchema.safeParse(data, { reportInput: true })
  if (!parsed.success) {
    throw new NotifyConfigError(
      parsed.error.issues.map((i) => {
        const secret = /secret|accessKey|url/i.test(String(i.path.at(-1) ?? ''))
        const shown = 'input' in i && i.input !== undefined && typeof i.input !== 'object' && !secret ? ` (${JSON.stringify(i.input)})` : ''
        return `${fieldPath(i.path)}: ${i.message}${shown}`
      }),
    )
  }
  const file = parsed.data
  const problems: string[] = []
  const stationSet = knownStations ? new Set(knownStations) : undefined
  const people = new Map(file.people.map((p) => [p.id, p]))
  const checkStations = (field: string, list: string[]) => {
    if (!stationSet) return
    list.forEach((s, i) => {
      if (s !== '*' && !stationSet.has(s)) problems.push(`${field}[${i}]: unknown station ${JSON.stringify(s)}`)
    })
  }
  const checkPeople = (field: string, list: string[]) =>
    list.forEach((p, i) => {
      if (!people.has(p)) problems.push(`${field}[${i}]: unknown person ${JSON.stringify(p)}`)
    })

  const channels = new Map<string, ChannelConfig>()
  for (const [name, ch] of Object.entries(file.channels)) {
    const resolved: Record<string, unknown> = { ...ch }
    for (const key of ['url', 'secret', 'accessKeyId', 'accessKeySecret'] as const) {
      const v = (ch as Record<string, unknown>)[key] as string | { env: string } | undefined
      if (v === undefined) continue
      if (typeof v === 'string') continue
      const value = env[v.env]
      if (!value) problems.push(`channels.${name}.${key}: environment variable ${v.env} is not set`)
      resolved[key] = value ?? ''
    }
    for (const key of ['url', 'endpoint'] as const) {
      const v = resolved[key]
      if (typeof v === 'string' && v !== '' && !fullUrl(v)) problems.push(`channels.${name}.${key}: must be a full http(s) URL`)
    }
    channels.set(name, resolved as ChannelConfig)
  }

  const onCall: OnCallWindow[] = file.onCall.map((w, i) => {
    checkStations(`onCall[${i}].stations`, w.stations)
    checkPeople(`onCall[${i}].people`, w.people)
    return { ...w, weekdays: parseDays(w.days)! }
  })

  file.routes.forEach((r, i) => {
    checkStations(`routes[${i}].stations`, r.stations)
    let last = -1
    r.steps.forEach((s, j) => {
      const field = `routes[${i}].steps[${j}]`
      if (s.afterSeconds < last) problems.push(`${field}.afterSeconds: steps must be in time order (${s.afterSeconds} after ${last})`)
      last = s.afterSeconds
      s.channels.forEach((c, k) => {
        if (!channels.has(c)) problems.push(`${field}.channels[${k}]: unknown channel ${JSON.stringify(c)}`)
      })
      if (Array.isArray(s.to)) checkPeople(`${field}.to`, s.to)
      const sms = s.channels.some((c) => channels.get(c)?.type === 'sms-aliyun')
      if (sms && !s.to) problems.push(`${field}.to: an sms-aliyun channel needs recipients ("on-call" or people ids)`)
    })
  })
  if (problems.length) throw new NotifyConfigError(problems)
  return { publicUrl: file.publicUrl.replace(/\/+$/, ''), language: file.language, channels, people, onCall, routes: file.routes }
}

function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(root)'
}

/** "mon-fri", "sat,sun", "mon-sun", "fri-mon" (wraps), "daily"; Sunday = 0 as in Date#getDay. */
export function parseDays(spec: string): Set<number> | undefined {
  const s = spec.trim().toLowerCase()
  if (s === 'daily' || s === '*') return new Set([0, 1, 2, 3, 4, 5, 6])
  const out = new Set<number>()
  for (const part of s.split(',')) {
    const [a, b, extra] = part.trim().split('-')
    if (extra !== undefined) return undefined
    const from = DAY_NAMES.indexOf(a as (typeof DAY_NAMES)[number])
    const to = b === undefined ? from : DAY_NAMES.indexOf(b as (typeof DAY_NAMES)[number])
    if (from < 0 || to < 0) return undefined
    for (let d = from; ; d = (d + 1) % 7) {
      out.add(d)
      if (d === to) break
    }
  }
  return out
}
