import { formatDuration, seconds, type Rule, type RuleContext } from './rule.ts'

/** How many heartbeats may be missed before a device counts as gone. */
export const SILENCE_FACTOR = 2.5

const silence = (ctx: RuleContext) => seconds(ctx.rules.heartbeatSeconds * SILENCE_FACTOR)

export const deviceOffline: Rule = {
  name: 'device-offline',
  subjectType: 'device',
  autoResolve: true,
  pausedByIncident: false,
  evaluate(ctx, id) {
    const dev = ctx.state.devices.get(id)
    // A device never heard from is "not reported yet" on the board, not an outage.
    if (!dev || dev.lastSeen === undefined) return undefined
    if (!dev.online) return { occurrence: dev.since, due: dev.since, severity: 'warning' }
    // Silence is timed from start-up at the earliest: while we were down, devices could not reach us.
    const from = Math.max(dev.lastSeen, ctx.startedAt)
    return { occurrence: from, due: from + silence(ctx), severity: 'warning' }
  },
  message(ctx, id) {
    const dev = ctx.state.devices.get(id)
    if (dev?.lastSeen !== undefined && !dev.online) return `${id} is offline (last heard ${new Date(dev.lastSeen).toISOString()})`
    return `${id} has not been heard for ${formatDuration(silence(ctx))}`
  },
}
