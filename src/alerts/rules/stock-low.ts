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
    return { occurrence: item.lowSince, due: item.lowSince, severity: 'warning' }
  },
  message({ state }, id) {
    const cfg = state.model.items.get(id)
    return `${cfg?.name ?? id} is low: ${state.items.get(id)?.count} left, minimum ${cfg?.min}`
  },
}
