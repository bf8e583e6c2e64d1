import type { Rule } from './rule.ts'

/** The 5-point hysteresis lives in the live state (batteryLowSince), so a battery hovering at the threshold does not flap. */
export const batteryLow: Rule = {
  name: 'battery-low',
  subjectType: 'device',
  autoResolve: true,
  pausedByIncident: false,
  evaluate({ state }, id) {
    const dev = state.devices.get(id)
    if (dev?.batteryLowSince === undefined) return undefined
    return { occurrence: dev.batteryLowSince, due: dev.batteryLowSince, severity: 'info' }
  },
  message({ state, rules }, id) {
    return `${id} battery is low: ${state.devices.get(id)?.battery}% (threshold ${rules.batteryLowPercent}%)`
  },
}
