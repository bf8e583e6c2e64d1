import type { ApplyResult, StationState } from '../domain/station-state.ts'
import { parseJsonObject, parseStateReading, parseStatus } from '../domain/readings.ts'
import type { Clock, ReadingStore, RecordStore } from '../ports.ts'
import { pointFromStatus, pointsFromReading } from './points.ts'
import type { Fleet } from '../domain/fleet.ts'
import type { EventHub } from '../event-hub.ts'

export type RejectKind = 'acl' | 'too-large' | 'not-json' | 'invalid' | 'duplicate' | 'out-of-order' | 'rate-limited'
/** `seq`/`ts`: the state reading taken, so that it can be forgotten if the store drops it. */
export type IngestOutcome = { ok: true; historyOnly?: boolean; seq?: number; ts?: number } | { ok: false; kind: RejectKind; reason: string }

export interface IngestObserver {
  accepted(kind: 'state' | 'status'): void
  rejected(kind: RejectKind): void
}

/** What ingest tells the rest of the service (a subset of the service's event map). */
export interface IngestEvents {
  /** a reading or status changed a station's live state: for the rules and the status board */
  stationChanged: [station: StationState, result: ApplyResult]
}

export interface IngestOptions {
  fleet: Fleet
  readings: ReadingStore
  records: RecordStore
  clock: Clock
  observer: IngestObserver
  hub: EventHub<IngestEvents>
  /** the incident open at a station, if any: its id is recorded on the station's events */
  openIncident?: (station: string) => string | undefined
}

/**
 * The hot path: validate → apply to the live state → queue for the store → notify.
 * Synchronous and allocation-light; the store batches its own writes.
 */
export class Ingest {
  private readonly fleet: Fleet
  private readonly readings: ReadingStore
  private readonly records: RecordStore
  private readonly clock: Clock
  private readonly observer: IngestObserver
  private readonly hub: EventHub<IngestEvents>
  private readonly openIncident: (station: string) => string | undefined

  constructor(opts: IngestOptions) {
    this.fleet = opts.fleet
    this.readings = opts.readings
    this.records = opts.records
    this.clock = opts.clock
    this.observer = opts.observer
    this.hub = opts.hub
    this.openIncident = opts.openIncident ?? (() => undefined)
  }

  /** A message on a device's own `state` or `status` topic (the broker checked the ACL). */
  handle(deviceId: string, kind: 'state' | 'status', topic: string, payload: Uint8Array): IngestOutcome {
    const found = this.fleet.device(deviceId)
    if (!found) return this.refuse(deviceId, topic, 'acl', `unknown device ${deviceId}`)
    const { station, device } = found
    const now = this.clock.now()

    const json = parseJsonObject(payload)
    if (!json.ok) return this.refuse(deviceId, topic, json.reason.startsWith('payload too large') ? 'too-large' : 'not-json', json.reason)

    if (kind === 'status') {
      const status = parseStatus(json.value)
      if (!status.ok) return this.refuse(deviceId, topic, 'invalid', status.reason)
      this.readings.write([pointFromStatus(station.model.id, device, status.value, now)])
      this.publish(station, station.applyStatus(deviceId, status.value, now))
      this.observer.accepted('status')
      return { ok: true }
    }

    const reading = parseStateReading(device, json.value, station.model.items, station.model.keys)
    if (!reading.ok) return this.refuse(deviceId, topic, 'invalid', reading.reason)
    const { seq, ts } = reading.value
    if (station.isDuplicate(deviceId, seq, ts)) return this.refuse(deviceId, topic, 'duplicate', `duplicate: seq ${seq} with ts ${ts} was already accepted`)

    this.readings.write(pointsFromReading(station.model, device, reading.value, now))
    station.remember(deviceId, seq, ts, now)
    this.observer.accepted('state')
    if (station.isOutOfOrder(deviceId, ts)) {
      // Kept as history; the live state already reflects something newer.
      this.records.appendReject({ t: now, device: deviceId, topic, reason: `out of order: ts ${ts} is older than the live state; stored as history only` })
      this.observer.rejected('out-of-order')
      this.saveSnapshot(station)
      return { ok: true, historyOnly: true, seq, ts }
    }
    this.publish(station, station.applyState(deviceId, reading.value, now))
    return { ok: true, seq, ts }
  }

  /**
   * A reading the store dropped (not acknowledged): its copy, sent again by the device, must be
   * taken rather than ignored as a duplicate.
   */
  forget(deviceId: string, seq: number, ts: number): void {
    this.fleet.device(deviceId)?.station.forget(deviceId, seq, ts)
  }

  /** Marks a device offline after its heartbeat was lost (called by the rule timers). */
  markSilent(deviceId: string): void {
    const found = this.fleet.device(deviceId)
    if (!found) return
    const now = this.clock.now()
    const result = found.station.markSilent(deviceId, now)
    if (result.events.length) {
      this.readings.write([pointFromStatus(found.station.model.id, found.device, { online: false }, now)])
      this.publish(found.station, result)
    }
  }

  /** Counts a refusal without recording it (for floods, where one record a second says enough). */
  countRefusal(kind: RejectKind): void {
    this.observer.rejected(kind)
  }

  /** Records a refusal decided elsewhere (the broker's ACL) the same way as ours. */
  refuse(deviceId: string, topic: string, kind: RejectKind, reason: string): IngestOutcome {
    this.records.appendReject({ t: this.clock.now(), device: deviceId, topic, reason })
    this.observer.rejected(kind)
    return { ok: false, kind, reason }
  }

  private publish(station: StationState, result: ApplyResult): void {
    if (result.events.length) {
      // An event during an incident belongs to it (device comings and goings do not).
      const incident = this.openIncident(station.model.id)
      if (incident) for (const e of result.events) if (!e.kind.startsWith('device-')) e.incident = incident
      this.records.appendEvents(result.events)
    }
    this.saveSnapshot(station)
    this.hub.emit('stationChanged', station, result)
  }

  private saveSnapshot(station: StationState): void {
    this.records.saveSnapshot(station.model.id, () => station.toJSON())
  }
}
