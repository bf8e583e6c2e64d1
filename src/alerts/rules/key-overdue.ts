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
    const limit = seconds(ctx.rules.keyOverdueSeconds)
    const name = ctx.state.model.keys.get(id)?.name ?? id
    return { occurrence: key.since, due: key.since + limit, severity: 'warning', message: `${name} has been out for more than ${formatDuration(limit)}${key.takenBy ? ` (taken by ${key.takenBy})` : ''}` }
  },
}
