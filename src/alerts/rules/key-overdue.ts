import { formatDuration, seconds, type Rule } from './rule.ts'

export const keyOverdue: Rule = {
  name: 'key-overdue',
  subjectType: 'key',
  autoResolve: true,
  pausedByIncident: false,
  evaluate(ctx, id) {
    const key = ctx.state.keys.get(id)
    // A stale key (key box offline) cannot be confirmed missing: device-offline says so instead.
    if (!key || key.present || ctx.state.isStale(`key:${id}`)) return undefined
    return { occurrence: key.since, due: key.since + seconds(ctx.rules.keyOverdueSeconds), severity: 'warning' }
  },
  message(ctx, id) {
    const takenBy = ctx.state.keys.get(id)?.takenBy
    const name = ctx.state.model.keys.get(id)?.name ?? id
    return `${name} has been out for more than ${formatDuration(seconds(ctx.rules.keyOverdueSeconds))}${takenBy ? ` (taken by ${takenBy})` : ''}`
  },
}
