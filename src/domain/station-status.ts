import type { StationState } from './station-state.ts'

export type ReadinessLevel = 'ready' | 'degraded' | 'not-ready'

export interface StationStatus {
  id: string
  name: string
  timezone: string
  readiness: number
  level: ReadinessLevel
  reasons: string[]
  doors: { id: string; name: string; open: boolean | null; since: number | null; stale: boolean }[]
  keys: { id: string; name: string; holder?: string; opens: string[]; present: boolean | null; slot: string | null; takenBy?: string; since: number | null; stale: boolean }[]
  equipment: { id: string; name: string; category: string; kind: 'professional' | 'supply'; present?: boolean | null; count?: number | null; min?: number; since: number | null; stale: boolean }[]
  devices: { id: string; type: string; online: boolean; battery?: number; rssi?: number; fw?: string; tamper?: boolean; lastSeen: number | null }[]
  incident: IncidentSummary | null
  activeAlerts: number
}

export interface IncidentSummary { id: string; station: string; openedAt: number; openedBy: string; note?: string }

/** What the status needs from outside the live state: the alert engine's view and the open incident. */
export interface StatusContext {
  /** doors with an unresolved door-forced alert */
  forcedDoors: ReadonlySet<string>
  incident: IncidentSummary | null
  /** alerts not yet resolved */
  activeAlerts: number
}

/**
 * Readiness is the share of checks that pass among those that can be confirmed: each
 * professional item, key, counted supply and door whose device is online counts once,
 * and every device counts once for being online. A stale subject is "cannot confirm":
 * its offline device already counts against readiness, so it does not count twice.
 */
export function computeStatus(state: StationState, ctx: StatusContext): StationStatus {
  const { config } = state.model
  let total = 0
  let passed = 0
  let notReady = false
  const reasons: string[] = []
  const check = (ok: boolean, reason: string, critical = false) => {
    total++
    if (ok) passed++
    else {
      reasons.push(reason)
      if (critical) notReady = true
    }
  }

  const doors = config.doors.map((d) => {
    const live = state.doors.get(d.id)
    const stale = state.isStale(`door:${d.id}`)
    if (ctx.forcedDoors.has(d.id)) {
      notReady = true
      reasons.push(`${d.name} was forced open`)
    }
    if (!stale) check(!live!.open, `${d.name} is open`)
    return { id: d.id, name: d.name, open: live?.open ?? null, since: live?.since ?? null, stale }
  })

  const keys = config.keys.map((k) => {
    const live = state.keys.get(k.id)
    const stale = state.isStale(`key:${k.id}`)
    if (!stale) check(live!.present, `${k.name} is out of the key box${live!.takenBy ? ` (taken by ${live!.takenBy})` : ''}`)
    return {
      id: k.id,
      name: k.name,
      ...(k.holder !== undefined ? { holder: k.holder } : {}),
      opens: k.opens,
      present: live?.present ?? null,
      slot: live?.slot ?? null,
      ...(live?.takenBy !== undefined && !live.present ? { takenBy: live.takenBy } : {}),
      since: live?.since ?? null,
      stale,
    }
  })

  const equipment = config.equipment.map((e) => {
    const live = state.items.get(e.id)
    const stale = state.isStale(`item:${e.id}`)
    const counted = e.min !== undefined
    if (!stale) {
      if (counted) check(live!.count! >= e.min!, `${e.name} is low: ${live!.count} of ${e.min}`)
      else if (e.kind === 'professional') check(live!.present === true, `${e.name} is missing`, true)
    }
    return {
      id: e.id,
      name: e.name,
      category: e.category,
      kind: e.kind,
      ...(counted ? { count: live?.count ?? null, min: e.min! } : { present: live?.present ?? null }),
      since: live?.since ?? null,
      stale,
    }
  })

  const devices = config.devices.map((d) => {
    const live = state.devices.get(d.id)
    const online = live?.online ?? false
    check(online, live?.lastSeen === undefined ? `${d.id} has not reported yet` : `${d.id} is offline`)
    return {
      id: d.id,
      type: d.type,
      online,
      ...(live?.battery !== undefined ? { battery: live.battery } : {}),
      ...(live?.rssi !== undefined ? { rssi: live.rssi } : {}),
      ...(live?.fw !== undefined ? { fw: live.fw } : {}),
      ...(live?.tamper !== undefined ? { tamper: live.tamper } : {}),
      lastSeen: live?.lastSeen ?? null,
    }
  })

  const readiness = total === 0 ? 0 : Math.floor((passed * 100) / total)
  const level: ReadinessLevel = notReady ? 'not-ready' : passed < total ? 'degraded' : 'ready'
  return {
    id: config.id,
    name: config.name,
    timezone: config.timezone,
    readiness,
    level,
    reasons,
    doors,
    keys,
    equipment,
    devices,
    incident: ctx.incident,
    activeAlerts: ctx.activeAlerts,
  }
}
