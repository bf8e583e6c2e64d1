/** One acknowledgement: how long from the alert (or the drill's start) to a person's acknowledgement. */
export interface AckSample { station: string; rule: string; person: string; seconds: number }

export interface AckFigures { count: number; medianSeconds: number | null; worstSeconds: number | null }
export interface AckSummary extends AckFigures {
  byStation: Record<string, AckFigures>
  byRule: Record<string, AckFigures>
  byPerson: Record<string, AckFigures>
}

/** Median (the mean of the middle two for an even count) and worst of a set of seconds. */
export function figures(seconds: readonly number[]): AckFigures {
  if (seconds.length === 0) return { count: 0, medianSeconds: null, worstSeconds: null }
  const s = [...seconds].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { count: s.length, medianSeconds: round(median), worstSeconds: round(s[s.length - 1]!) }
}

export function summarize(samples: readonly AckSample[]): AckSummary {
  const group = (key: (s: AckSample) => string) => {
    const m = new Map<string, number[]>()
    for (const s of samples) m.set(key(s), [...(m.get(key(s)) ?? []), s.seconds])
    return Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, figures(v)]))
  }
  return { ...figures(samples.map((s) => s.seconds)), byStation: group((s) => s.station), byRule: group((s) => s.rule), byPerson: group((s) => s.person) }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}

export interface AckTimesReport {
  from: number
  to: number
  station?: string
  /** real alerts opened in the period; `unacknowledged`: opened and never acknowledged */
  real: AckSummary & { unacknowledged: number }
  /** drills started in the period, one sample per person who acknowledged; `unacknowledged`: drills nobody acknowledged */
  drill: AckSummary & { unacknowledged: number }
}

interface AlertLike { station: string; rule: string; openedAt: number; ackedAt?: number; ackedBy?: string }
interface DrillLike { station: string; rule: string; responses: { user: string; secondsToAck: number }[] }

/** Time to acknowledge over [from, to): real alerts by when they opened, drills by when they started. */
export function ackTimes(q: { from: number; to: number; station?: string }, realAlerts: readonly AlertLike[], drills: readonly DrillLike[]): AckTimesReport {
  const acked = realAlerts.filter((a) => a.ackedAt !== undefined)
  const real = summarize(acked.map((a) => ({ station: a.station, rule: a.rule, person: a.ackedBy ?? '', seconds: (a.ackedAt! - a.openedAt) / 1000 })))
  const drill = summarize(drills.flatMap((d) => d.responses.map((r) => ({ station: d.station, rule: d.rule, person: r.user, seconds: r.secondsToAck }))))
  return {
    from: q.from,
    to: q.to,
    ...(q.station ? { station: q.station } : {}),
    real: { ...real, unacknowledged: realAlerts.length - acked.length },
    drill: { ...drill, unacknowledged: drills.filter((d) => d.responses.length === 0).length },
  }
}
