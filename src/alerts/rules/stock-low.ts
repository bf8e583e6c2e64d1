import type { Rule } from './rule.ts'

export const stockLow: Rule = {
  name: 'stock-low',
  subjectType: 'item',
  autoResolve: true,
  pausedByIncident: false,
  evaluate({ state }, id) {
    const cfg = state.model.items.get(id)
    const item = state.items.get(id)
    if (cfg?.min === undefined || item?.count === undefined || item.lowSince === undefined) return undefined
    return { occurrence: item.lowSince, due: item.lowSince, severity: 'warning', message: `${cfg.name} is low: ${item.count} left, minimum ${cfg.min}` }
  },
}
