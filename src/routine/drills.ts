import type { ExternalCondition } from '../alerts/alert-engine.ts'
import type { Alert, RuleName, Severity } from '../alerts/alert.ts'
import { AppError } from '../domain/errors.ts'
import { KeyedSerial } from '../domain/keyed-serial.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Clock } from '../ports.ts'
import type { Drill, DrillResponse, RoutineStore } from './routine-store.ts'

/** Rules a drill may rehearse, with the severity the real alert would have. */
export const DRILL_RULES = {
  'door-forced': { severity: 'critical', zh: '门被强行打开' },
  tamper: { severity: 'critical', zh: '设备被拆动' },
  'equipment-missing': { severity: 'critical', zh: '器材不在位' },
  'door-open-too-long': { severity: 'warning', zh: '门长时间未关' },
  'key-overdue': { severity: 'warning', zh: '钥匙逾期未还' },
  'device-offline': { severity: 'warning', zh: '设备离线' },
} as const satisfies Partial<Record<RuleName, { severity: Severity; zh: string }>>
export type DrillRule = keyof typeof DRILL_RULES

/** What drills need of the alert engine and its store. */
export interface DrillAlerts {
  raise(station: string, condition: ExternalCondition, opts: { drill?: boolean }): Alert | undefined
  acknowledge(id: string, user: string, note?: string): Promise<Alert>
  resolve(id: string, user: string, note?: string): Promise<Alert>
  getAlert(id: string): Promise<Alert | undefined>
}

/**
 * Drills (演练): a responder starts one, its alert (`drill: true`, subject `drill:ID`) goes the
 * whole alert path — live push, webhook, notifications, escalation — and every person who
 * acknowledges it is recorded with their seconds to acknowledge. The first acknowledgement also
 * acknowledges the alert; later ones only add a response.
 *
 * Every operation reads the drill from the store, decides (none running, not ended, not yet
 * acknowledged by this person) and writes it back: with reads that wait, two at once would both
 * pass the check, or one person's response would overwrite another's. So drills run one
 * operation at a time (all stations together: they are a few a month).
 */
export class DrillService {
  private readonly serial = new KeyedSerial()

  constructor(
    private readonly stations: Map<string, StationConfig>,
    private readonly store: RoutineStore,
    private readonly alerts: DrillAlerts,
    private readonly clock: Clock,
    private readonly newId: () => string,
    private readonly onResponse: (drill: Drill, response: DrillResponse) => void = () => {},
  ) {}

  start(stationId: string, input: { rule?: DrillRule; note?: string }, by: string): Promise<Drill & { alert: Alert }> {
    return this.serial.run('drills', () => this.startNow(stationId, input, by))
  }

  private async startNow(stationId: string, input: { rule?: DrillRule; note?: string }, by: string): Promise<Drill & { alert: Alert }> {
    const station = this.stations.get(stationId)
    if (!station) throw new AppError('STATION_UNKNOWN', `no station "${stationId}"`)
    const open = (await this.store.drills({ station: station.id, limit: 20 })).find((d) => d.endedAt === undefined)
    if (open) throw new AppError('CONFLICT', `drill ${open.id} is still running at ${station.id}: end it first`)
    const rule = input.rule ?? 'door-forced'
    const now = this.clock.now()
    const id = this.newId()
    const message = `【演练】${station.name} · ${DRILL_RULES[rule].zh} (drill: ${rule})${input.note ? ` — ${input.note}` : ''}`
    const alert = this.alerts.raise(station.id, { rule, subject: `drill:${id}`, severity: DRILL_RULES[rule].severity, occurrence: now, message }, { drill: true })
    if (!alert) throw new AppError('CONFLICT', `drill ${id} could not be raised`)
    const drill: Drill = { id, station: station.id, rule, alertId: alert.id, startedAt: now, startedBy: by, ...(input.note ? { note: input.note } : {}), responses: [] }
    this.store.saveDrill(drill, { t: now, station: station.id, kind: 'drill-started', subject: `drill:${id}`, device: '', user: by, value: alert.id, detail: `${rule}${input.note ? `; ${input.note}` : ''}` })
    return { ...drill, alert }
  }

  /** A drill alert's acknowledgement by one person; undefined when the alert is not a drill's. */
  async acknowledge(alertId: string, user: string, note?: string): Promise<Alert | undefined> {
    // Every acknowledgement asks here first: one of a real alert (no drill has it; that never
    // changes) does not wait in the drills' turn.
    if (!(await this.store.drillOfAlert(alertId))) return undefined
    return this.serial.run('drills', () => this.acknowledgeNow(alertId, user, note))
  }

  private async acknowledgeNow(alertId: string, user: string, note?: string): Promise<Alert | undefined> {
    const drill = await this.store.drillOfAlert(alertId)
    if (!drill) return undefined
    if (drill.endedAt !== undefined) throw new AppError('CONFLICT', `drill ${drill.id} has ended`)
    if (drill.responses.some((r) => r.user === user)) throw new AppError('CONFLICT', `${user} has already acknowledged drill ${drill.id}`)
    const current = await this.alerts.getAlert(alertId)
    const alert = current?.state === 'active' ? await this.alerts.acknowledge(alertId, user, note) : current!
    const ackedAt = this.clock.now()
    const response: DrillResponse = { user, ackedAt, secondsToAck: (ackedAt - drill.startedAt) / 1000 }
    drill.responses.push(response)
    this.store.saveDrill(drill)
    this.onResponse(drill, response)
    return alert
  }

  end(drillId: string, by: string): Promise<Drill> {
    return this.serial.run('drills', () => this.endNow(drillId, by))
  }

  private async endNow(drillId: string, by: string): Promise<Drill> {
    const drill = await this.store.drill(drillId)
    if (!drill) throw new AppError('NOT_FOUND', `no drill "${drillId}"`)
    if (drill.endedAt !== undefined) throw new AppError('CONFLICT', `drill ${drill.id} has already ended`)
    if ((await this.alerts.getAlert(drill.alertId))?.state !== 'resolved') await this.alerts.resolve(drill.alertId, by, 'drill ended')
    drill.endedAt = this.clock.now()
    drill.endedBy = by
    this.store.saveDrill(drill, { t: drill.endedAt, station: drill.station, kind: 'drill-ended', subject: `drill:${drill.id}`, device: '', user: by, value: drill.responses.length, detail: `${drill.responses.length} acknowledged` })
    return drill
  }

  async list(q: { station?: string; from?: number; to?: number; limit: number }): Promise<Drill[]> {
    if (q.station !== undefined && !this.stations.has(q.station)) throw new AppError('STATION_UNKNOWN', `no station "${q.station}"`)
    return this.store.drills(q)
  }
}
