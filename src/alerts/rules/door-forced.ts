import type { Rule } from './rule.ts'

/** A door opened while no key that opens it was out of the key box: somebody got in without one. */
export const doorForced: Rule = {
  name: 'door-forced',
  subjectType: 'door',
  autoResolve: false,
  pausedByIncident: false,
  evaluate({ state }, id) {
    const door = state.doors.get(id)
    if (!door?.open || !door.forced) return undefined
    return { occurrence: door.since, due: door.since, severity: 'critical' }
  },
  message({ state }, id) {
    return `${state.model.doors.get(id)?.name ?? id} opened with no key out of the key box`
  },
}
