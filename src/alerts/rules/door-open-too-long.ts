import { formatDuration, judgedFrom, seconds, type Rule } from './rule.ts'

export const doorOpenTooLong: Rule = {
  name: 'door-open-too-long',
  subjectType: 'door',
  autoResolve: true,
  pausedByIncident: true,
  evaluate(ctx, id) {
    const door = ctx.state.doors.get(id)
    if (!door?.open) return undefined
    const from = judgedFrom(door.since, ctx)
    return { occurrence: from, due: from + seconds(ctx.rules.doorOpenMaxSeconds), severity: 'warning' }
  },
  message(ctx, id) {
    const door = ctx.state.doors.get(id)
    const name = ctx.state.model.doors.get(id)?.name ?? id
    const who = door?.keysOut?.length ? `; keys out: ${door.keysOut.map((k) => k.id + (k.takenBy ? ` (taken by ${k.takenBy})` : '')).join(', ')}` : '; no key was out when it opened'
    return `${name} has been open for more than ${formatDuration(seconds(ctx.rules.doorOpenMaxSeconds))}${who}`
  },
}
