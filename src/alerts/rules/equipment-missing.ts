import { formatDuration, judgedFrom, seconds, type Rule } from './rule.ts'

export const equipmentMissing: Rule = {
  name: 'equipment-missing',
  subjectType: 'item',
  autoResolve: true,
  pausedByIncident: true,
  evaluate(ctx, id) {
    const cfg = ctx.state.model.items.get(id)
    const item = ctx.state.items.get(id)
    // Counted items are stock-low's; stale ones cannot be confirmed missing.
    if (!cfg || cfg.min !== undefined || !item || item.present !== false || ctx.state.isStale(`item:${id}`)) return undefined
    const from = judgedFrom(item.since, ctx)
    return { occurrence: from, due: from + seconds(ctx.rules.equipmentMissingSeconds), severity: cfg.kind === 'professional' ? 'critical' : 'warning' }
  },
  message(ctx, id) {
    return `${ctx.state.model.items.get(id)?.name ?? id} has been missing for more than ${formatDuration(seconds(ctx.rules.equipmentMissingSeconds))}`
  },
}
