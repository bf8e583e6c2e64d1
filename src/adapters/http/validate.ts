import { z } from 'zod'
import { AppError } from '../../domain/errors.ts'

/** Parses a request part with zod; a failure is a 400 that names the field. */
export function parseRequest<S extends z.ZodType>(schema: S, data: unknown, part: 'body' | 'query' | 'params'): z.infer<S> {
  const r = schema.safeParse(data ?? {})
  if (r.success) return r.data
  const issue = r.error.issues[0]!
  const field = [part, ...issue.path.map(String)].join('.')
  throw new AppError('BAD_REQUEST', `${field}: ${issue.message}`)
}

/** A time as ISO 8601 or milliseconds since the epoch. */
export const timeParam = z.string().transform((s, ctx) => {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s)
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or milliseconds since the epoch' })
    return z.NEVER
  }
  return t
})

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration such as `60s`, `5m`, `1h`, `1d`, or plain milliseconds. */
export const durationParam = z.string().transform((s, ctx) => {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s)
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN
  if (!Number.isFinite(ms) || ms < 1000) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration of at least 1s, like 60s, 5m, 1h or 1d' })
    return z.NEVER
  }
  return ms
})

export const limitParam = (max: number, dflt: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`))
    .default(String(dflt) as never)

/** Station scopes and display tokens name at most this many stations. */
export const MAX_SCOPE_STATIONS = 1000

/**
 * A list of station ids, each checked against the live station set (stations can be added at
 * runtime, so the set is asked at each request, never copied). Duplicates are dropped.
 */
export const stationIdsParam = (isStation: (id: string) => boolean) =>
  z
    .array(z.string({ error: 'must be a station id' }).max(64, 'must be at most 64 characters'), { error: 'must be a list of station ids' })
    .max(MAX_SCOPE_STATIONS, `must name at most ${MAX_SCOPE_STATIONS} stations`)
    .superRefine((ids, ctx) => {
      const i = ids.findIndex((id) => !isStation(id))
      if (i >= 0) ctx.addIssue({ code: 'custom', path: [i], message: `no station "${ids[i]}"` })
    })
    .transform((ids) => [...new Set(ids)])
