import { randomUUID } from 'node:crypto'
import { AppError } from '../domain/errors.ts'
import type { EventHub } from '../event-hub.ts'
import type { Clock } from '../ports.ts'
import type { Incident } from './alert.ts'
import type { AlertStore } from './alert-store.ts'

/**
 * The open incident of each station (at most one), and when each station's last one closed.
 * While an incident is open, the rules that pause for it wait; once it closes, what is still
 * missing or open is judged from that moment. The engine re-judges the station after each change.
 */
export class Incidents {
  private readonly open = new Map<string, Incident>()
  private readonly lastClose = new Map<string, number>()

  constructor(
    private readonly o: { store: AlertStore; clock: Clock; hub: EventHub<{ incidentChanged: [incident: Incident, change: 'opened' | 'closed'] }> },
  ) {}

  /**
   * Restores the open incidents and the last close times from the store: of every station, or (in
   * cluster mode, on taking stations over) of `only` these, replacing what was known of them here.
   */
  async restore(only?: ReadonlySet<string>): Promise<void> {
    const [open, lastClose] = await Promise.all([this.o.store.openIncidents(), this.o.store.lastIncidentClose()])
    const wanted = (station: string) => only === undefined || only.has(station)
    for (const s of only ?? []) (this.open.delete(s), this.lastClose.delete(s))
    for (const i of open) if (wanted(i.station)) this.open.set(i.station, i)
    for (const [s, t] of lastClose) if (wanted(s)) this.lastClose.set(s, t)
  }

  private openById(id: string): Incident | undefined {
    return [...this.open.values()].find((i) => i.id === id)
  }

  openAt(station: string): Incident | undefined {
    return this.open.get(station)
  }

  /** when the station's newest closed incident closed, if it had one */
  lastClosedAt(station: string): number | undefined {
    return this.lastClose.get(station)
  }

  start(station: string, user: string, note?: string): Incident {
    const open = this.open.get(station)
    if (open) throw new AppError('INCIDENT_ALREADY_OPEN', `incident ${open.id} is already open at ${station}`)
    const incident: Incident = { id: randomUUID(), station, openedAt: this.o.clock.now(), openedBy: user, ...(note ? { note } : {}) }
    this.o.store.saveIncident(incident)
    this.open.set(station, incident)
    this.o.hub.emit('incidentChanged', incident, 'opened')
    return incident
  }

  /**
   * The open incidents are all in memory: closing one is decided and done synchronously, so two
   * closes at once cannot both succeed. The store is asked only to tell an unknown id from one
   * already closed, and that answer does not change what happens.
   */
  async close(id: string, user: string): Promise<Incident> {
    const incident = this.openById(id)
    if (!incident) {
      const stored = await this.o.store.getIncident(id)
      // Opened meanwhile is impossible (an id is new when opened); closed meanwhile is a conflict.
      if (stored?.closedAt !== undefined) throw new AppError('CONFLICT', `incident ${id} is already closed`)
      throw new AppError('INCIDENT_UNKNOWN', `no incident "${id}"`)
    }
    incident.closedAt = this.o.clock.now()
    incident.closedBy = user
    this.o.store.saveIncident(incident)
    this.open.delete(incident.station)
    this.lastClose.set(incident.station, incident.closedAt)
    this.o.hub.emit('incidentChanged', incident, 'closed')
    return incident
  }
}
