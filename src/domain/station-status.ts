import { reasonText, type Reason } from './reasons.ts'
import type { StationState } from './station-state.ts'

export type ReadinessLevel = 'ready' | 'degraded' | 'not-ready'

export interface StationStatus {
  id: string
  name: string
  /** absent when the station file has none */
  district?: string
  timezone: string
  readiness: number
  level: ReadinessLevel
  /** English sentences, one per entry of `reasonCodes` */
  reasons: string[]
  reasonCodes: Reason[]
  doors: { id: string; name: string; open: boolean | null; since: number | null; stale: boolean }[]
  keys: { id: string; name: string; holder?: string; opens: string[]; present: boolean | null; slot: string | null; takenBy?: string; since: number | null; stale: boolean }[]
  equipment: { id: string; name: string; category: string; kind: 'professional' | 'supply'; present?: boolean | null; count?: number | null; min?: number; ledgerQuantity?: number; since: number | null; stale: boolean }[]
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
  /** the ledger's usable (not expired) units per item, when the station keeps a ledger */
  ledger?: ReadonlyMap<string, number>
}

/** The checks readiness counts, and why those that failed did. */
class Tally {
  total = 0
  passed = 0
  notReady = false
  readonly reasons: Reason[] = []

  pass(): void {
    this.total++
    this.passed++
  }

  fail(reason: Reason, critical = false): void {
    this.total++
    this.reasons.push(reason)
    if (critical) this.notReady = true
  }
}

/**
 * Readiness is the share of checks that pass among those that can be confirmed: each
 * professional item, key, counted supply and door whose device is online counts once,
 * and every device counts once for being online. A stale subject is "cannot confirm":
 * its offline device already counts against readiness, so it does not count twice.
 */
export function computeStatus(state: StationState, ctx: StatusContext): StationStatus {
  const { config } = state.model
  // Reasons are written only for checks that fail: most pass, most of the time.
  const tally = new Tally()
  // An optional field that does not apply is undefined, which JSON leaves out: the same text as
  // leaving the field out, but every entry of a kind has one shape. Spreading optional fields in
  // cost more than the rest of the status, and made its JSON slower to write.

  const doors = config.doors.map((d) => {
    const live = state.doors.get(d.id)
    const stale = state.isDoorStale(d.id)
    if (ctx.forcedDoors.has(d.id)) {
      tally.notReady = true
      tally.reasons.push({ code: 'door-forced', door: d.id, name: d.name })
    }
    if (!stale) {
      if (live!.open) tally.fail({ code: 'door-open', door: d.id, name: d.name })
      else tally.pass()
    }
    return { id: d.id, name: d.name, open: live?.open ?? null, since: live?.since ?? null, stale }
  })

  const keys = config.keys.map((k) => {
    const live = state.keys.get(k.id)
    const stale = state.isKeyStale(k.id)
    if (!stale) {
      if (live!.present) tally.pass()
      else tally.fail(live!.takenBy ? { code: 'key-taken', key: k.id, name: k.name, by: live!.takenBy } : { code: 'key-out', key: k.id, name: k.name })
    }
    return {
      id: k.id,
      name: k.name,
      holder: k.holder,
      opens: k.opens,
      present: live?.present ?? null,
      slot: live?.slot ?? null,
      takenBy: live && !live.present ? live.takenBy : undefined,
      since: live?.since ?? null,
      stale,
    }
  })

  const equipment = config.equipment.map((e) => {
    const ledgerQuantity = ctx.ledger?.get(e.id)
    // An item no device reports is what the ledger says can be used (and is never stale).
    const fromLedger = ledgerQuantity !== undefined && state.model.deviceOfItem(e.id) === undefined
    const counted = e.min !== undefined
    const live = fromLedger ? { present: ledgerQuantity > 0, count: ledgerQuantity, since: null } : state.items.get(e.id)
    const stale = fromLedger ? false : state.isItemStale(e.id)
    if (!stale) {
      if (counted) {
        if (live!.count! >= e.min!) tally.pass()
        else tally.fail({ code: 'supply-low', item: e.id, name: e.name, count: live!.count ?? null, min: e.min! })
      } else if (e.kind === 'professional') {
        if (live!.present === true) tally.pass()
        else tally.fail({ code: 'item-missing', item: e.id, name: e.name }, true)
      }
    }
    return {
      id: e.id,
      name: e.name,
      category: e.category,
      kind: e.kind,
      present: counted ? undefined : (live?.present ?? null),
      count: counted ? (live?.count ?? null) : undefined,
      min: e.min,
      ledgerQuantity: fromLedger ? undefined : ledgerQuantity,
      since: live?.since ?? null,
      stale,
    }
  })

  const devices = config.devices.map((d) => {
    const live = state.devices.get(d.id)
    const online = live?.online ?? false
    if (online) tally.pass()
    else tally.fail({ code: live?.lastSeen === undefined ? 'device-not-reported' : 'device-offline', device: d.id })
    return { id: d.id, type: d.type, online, battery: live?.battery, rssi: live?.rssi, fw: live?.fw, tamper: live?.tamper, lastSeen: live?.lastSeen ?? null }
  })

  const { total, passed } = tally
  const readiness = total === 0 ? 0 : Math.floor((passed * 100) / total)
  const level: ReadinessLevel = tally.notReady ? 'not-ready' : passed < total ? 'degraded' : 'ready'
  return {
    id: config.id,
    name: config.name,
    district: config.district,
    timezone: config.timezone,
    readiness,
    level,
    reasons: tally.reasons.map(reasonText),
    reasonCodes: tally.reasons,
    doors,
    keys,
    equipment,
    devices,
    incident: ctx.incident,
    activeAlerts: ctx.activeAlerts,
  }
}
