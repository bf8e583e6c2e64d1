import type { IncidentControl } from './station-runtime.ts'

/**
 * Opens and closes incidents through the service's HTTP API (contract §4) as a
 * responder (or admin) account: POST /api/auth/login, then the incident routes.
 */
export function httpIncidents(opts: { baseUrl: string; username: string; password: string }): IncidentControl {
  const base = opts.baseUrl.replace(/\/+$/, '')
  let token: string | undefined

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`)
    return text ? JSON.parse(text) : undefined
  }
  const login = async (): Promise<void> => {
    if (token) return
    const r = (await call('POST', '/api/auth/login', { username: opts.username, password: opts.password })) as { token?: unknown }
    if (typeof r?.token !== 'string') throw new Error('POST /api/auth/login: no token in the answer')
    token = r.token
  }

  return {
    async open(station) {
      await login()
      const r = (await call('POST', `/api/stations/${encodeURIComponent(station)}/incidents`, { note: 'opened by the simulator (emergency-incident)' })) as { id?: unknown }
      if (typeof r?.id !== 'string' && typeof r?.id !== 'number') throw new Error('POST /incidents: no id in the answer')
      return String(r.id)
    },
    async close(incidentId) {
      await login()
      await call('POST', `/api/incidents/${encodeURIComponent(incidentId)}/close`, {})
    },
  }
}
