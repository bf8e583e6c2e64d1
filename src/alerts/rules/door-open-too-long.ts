import { formatDuration, judgedFrom, seconds, type Rule } from './rule.ts'

export const doorOpenTooLong: Rule = {
  name: 'door-open-too-long',
  subjectType: 'door',
  autoResolve: true,
  pausedByIncident: true,
  evaluate(ctx, id) {
    const door = ctx.state.doors.get(id)
    if (!door?.open) return undefined
    const limit = seconds(ctx.rules.doorOpenMaxSeconds)
    const from = judgedFrom(door.since, ctx)
    const name = ctx.state.model.doors.get(id)?.name ?? id
    const who = door.keysOut?.length ? `; keys out: ${door.keysOut.map((k) => k.id + (k.takenBy ? ` (taken by ${k.takenBy})` : '')).join(', ')}` : '; no key was out when it opened'
    return { occurrence: from, due: from + limit, severity: 'warning', message: `${name} has been open for more than ${formatDuration(limit)}${who}` }
  },
}
