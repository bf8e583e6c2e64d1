import type { Rules } from '../../domain/station.ts'
import type { StationState } from '../../domain/station-state.ts'
import type { RuleName, Severity } from '../alert.ts'

export interface RuleContext {
  state: StationState
  rules: Rules
  now: number
  /** when the last incident closed: what is still missing or open is judged from then */
  incidentClosedAt?: number
  /** when the service started: silence before then was ours, not the device's */
  startedAt: number
}

/**
 * A condition found on a subject: the alert is due at `due` (now or later), and
 * `occurrence` identifies this episode so that it is alerted once.
 */
export interface Condition {
  occurrence: number
  due: number
  severity: Severity
}

export interface Rule {
  name: RuleName
  subjectType: 'door' | 'key' | 'item' | 'device'
  /** resolved by the service when the condition clears */
  autoResolve: boolean
  /** not raised while an incident is open at the station (removals are expected then) */
  pausedByIncident: boolean
  /**
   * The condition on one subject, or undefined when it is clear. A condition whose
   * `due` is still ahead is clear for now and will be looked at again then.
   */
  evaluate(ctx: RuleContext, id: string): Condition | undefined
  /**
   * The alert's text, asked only when an alert opens (with the context `evaluate` just
   * saw a due condition in): most evaluations find nothing new, and the text is the costly part.
   */
  message(ctx: RuleContext, id: string): string
}

export const seconds = (s: number) => s * 1000

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  return `${Math.round(s / 360) / 10} h`
}

/** Incidents pause some rules; afterwards the clock starts from the close. */
export function judgedFrom(since: number, ctx: RuleContext): number {
  return ctx.incidentClosedAt !== undefined ? Math.max(since, ctx.incidentClosedAt) : since
}
