import type { Alert, AlertChange, Incident } from '../alerts/alert.ts'
import type { ApplyResult, StationState } from '../domain/station-state.ts'
import type { StationStatus } from '../domain/station-status.ts'

/**
 * The one vocabulary the parts are wired with. Each event is named for what happened, in the past
 * tense; its listeners are called synchronously, in the order they subscribed, so a listener that
 * needs to do I/O queues it and returns (nothing here may block ingest).
 */
export interface ServiceEvents {
  /** a reading or status changed a station's live state (ingest) */
  stationChanged: [station: StationState, result: ApplyResult]
  /** an alert opened, was acknowledged, resolved or escalated (alert engine) */
  alertChanged: [alert: Alert, change: AlertChange, by: string | undefined]
  /** an incident opened or closed (alert engine) */
  incidentChanged: [incident: Incident, change: 'opened' | 'closed']
  /** a station's status is worth pushing (status board, coalesced) */
  statusChanged: [status: StationStatus]
}

type Listener<A extends unknown[]> = (...args: A) => void

/** A typed event hub: `on` returns the function that unsubscribes. */
export class EventHub<M extends { [K in keyof M]: unknown[] }> {
  private readonly listeners: { [K in keyof M]?: Listener<M[K]>[] } = {}

  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const list = (this.listeners[event] ??= [])
    list.push(listener)
    return () => {
      const i = list.indexOf(listener)
      if (i >= 0) list.splice(i, 1)
    }
  }

  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const list = this.listeners[event]
    if (list) for (const l of list) l(...args)
  }

  has<K extends keyof M>(event: K): boolean {
    return (this.listeners[event]?.length ?? 0) > 0
  }
}

export type ServiceHub = EventHub<ServiceEvents>
