import { serviceApi } from './service-api.ts'
import type { IncidentControl } from './station-runtime.ts'

/**
 * Opens and closes incidents through the service's HTTP API (contract §4) as a
 * responder (or admin) account: POST /api/auth/login, then the incident routes.
 */
export function httpIncidents(opts: { baseUrl: string; username: string; password: string }): IncidentControl {
  const api = serviceApi(opts)
  return {
    async open(station) {
      const r = (await api.call('POST', `/api/stations/${encodeURIComponent(station)}/incidents`, { note: 'opened by the simulator (emergency-incident)' })) as { id?: unknown }
      if (typeof r?.id !== 'string' && typeof r?.id !== 'number') throw new Error('POST /incidents: no id in the answer')
      return String(r.id)
    },
    async close(incidentId) {
      await api.call('POST', `/api/incidents/${encodeURIComponent(incidentId)}/close`, {})
    },
  }
}
