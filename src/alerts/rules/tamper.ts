import type { Rule } from './rule.ts'

export const tamper: Rule = {
  name: 'tamper',
  subjectType: 'device',
  autoResolve: false,
  pausedByIncident: false,
  evaluate({ state }, id) {
    const dev = state.devices.get(id)
    if (!dev?.tamper || dev.tamperSince === undefined) return undefined
    return { occurrence: dev.tamperSince, due: dev.tamperSince, severity: 'critical' }
  },
  message(_ctx, id) {
    return `${id} reports tampering`
  },
}
