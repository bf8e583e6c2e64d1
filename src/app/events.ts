import type { AlertEvents } from '../alerts/alert-engine.ts'
import type { StationStatus } from '../domain/station-status.ts'
import type { EventHub } from '../event-hub.ts'
import type { IngestEvents } from '../ingest/ingest.ts'
import type { CatalogueEvents } from './station-catalogue.ts'

/**
 * The one vocabulary the parts are wired with. Each event is named for what happened, in the past
 * tense; its listeners are called synchronously, in the order they subscribed, so a listener that
 * needs to do I/O queues it and returns (nothing here may block ingest). Each part declares the
 * events it emits (`IngestEvents`, `AlertEvents`); this is their union.
 */
export interface ServiceEvents extends IngestEvents, AlertEvents, CatalogueEvents {
  /** a station's status is worth pushing (status board, coalesced) */
  statusChanged: [status: StationStatus]
}

export type ServiceHub = EventHub<ServiceEvents>
