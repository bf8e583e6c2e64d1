import type { Logger } from 'pino'
import type { AlertEngine } from '../alerts/alert-engine.ts'
import type { ServiceHub } from '../app/events.ts'
import { StationCatalogue, type CatalogueLimits } from '../app/station-catalogue.ts'
import type { StatusBoard } from '../app/status-board.ts'
import { newSecret } from '../auth/secret-hash.ts'
import { loadStationFiles, rereadStationFiles, watchStationFiles, type ReadStation } from '../config/station-files.ts'
import type { Fleet } from '../domain/fleet.ts'
import { withoutDisabledDevices, type StationConfig } from '../domain/station.ts'
import type { LedgerService } from '../ledger/ledger-service.ts'
import type { Part } from '../lifecycle.ts'
import type { Clock, RecordStore, StationStore } from '../ports.ts'

/**
 * The station catalogue at start (contract v2 §E): the station files (a bad one stops start-up,
 * as before) against what the API stored. Read once; from then on the catalogue is the truth.
 */
export async function loadCatalogue(deps: { stationsPath: string; store: StationStore; hub: ServiceHub; clock: Clock; log: Logger; limits?: CatalogueLimits }): Promise<StationCatalogue> {
  const catalogue = new StationCatalogue({ store: deps.store, hub: deps.hub, clock: deps.clock, newSecret, log: deps.log, ...(deps.limits ? { limits: deps.limits } : {}) })
  const files = loadStationFiles(deps.stationsPath)
  catalogue.load(files, await deps.store.loadStations())
  return catalogue
}

/**
 * What a station change does at once in every part that keys on stations: the live model (the
 * state of what it still names is kept), the rules judged again, the ledger and the routine, the
 * status pushed, and the connections of devices cut off closed.
 */
export function wireCatalogue(deps: {
  hub: ServiceHub
  fleet: Fleet
  records: RecordStore
  /** cluster mode: only the owner of a station writes its live state (elsewhere it is not current) */
  owns?: (station: string) => boolean
  engine: AlertEngine
  ledger: LedgerService
  routine: { configure(station: StationConfig): void }
  board: StatusBoard
  disconnect: (device: string) => void
  log: Logger
}): void {
  deps.hub.on('stationConfigured', (config, change) => {
    const live = withoutDisabledDevices(config)
    const { state, removedDevices } = deps.fleet.configure(live)
    if (deps.owns?.(config.id) ?? true) deps.records.saveSnapshot(config.id, () => state.toJSON())
    deps.engine.reconfigured(state)
    deps.ledger.configure(live)
    deps.routine.configure(live)
    deps.board.touch(config.id)
    for (const device of new Set([...change.cut, ...removedDevices])) {
      // The change is stored and in effect: a connection that fails to close is logged, not the change's failure.
      try {
        deps.disconnect(device)
      } catch (err) {
        deps.log.error({ err, device }, 'could not close the connections of a device cut off')
      }
    }
    deps.log.info({ station: config.id, change: change.kind, by: change.by, ...(change.device ? { device: change.device } : {}) }, 'station configuration changed')
  })
}

/**
 * Station files changed on disk are read again while running: a file that differs from what was
 * last loaded from it replaces its station; a bad file is logged (file and field) and left out.
 */
export function stationFilesWatch(deps: { stationsPath: string; catalogue: StationCatalogue; log: Logger; debounceMs?: number }): Part {
  let watcher: { stop(): void } | undefined
  const reread = () => {
    const { stations, errors } = rereadStationFiles(deps.stationsPath)
    for (const error of errors) deps.log.error({ error }, 'station file not re-read: the running configuration of its station stays')
    // A device moved from one file to another is refused by the station that takes it while the one
    // that gives it up still has it: what was refused is tried once more after the others.
    const refused = stations.filter((f) => apply(f, false))
    for (const f of refused) apply(f, true)
  }
  /** Whether the file was refused (and, on the last try, logged as such). */
  const apply = (f: ReadStation, last: boolean): boolean => {
    try {
      const r = deps.catalogue.fileLoaded(f)
      if (r.refused && last) deps.log.error({ error: r.refused }, 'station file not re-read: the running configuration of its station stays')
      else if (r.applied) deps.log.info({ station: f.config.id, file: f.file }, 'station file re-read')
      return r.refused !== undefined
    } catch (err) {
      deps.log.error({ err, station: f.config.id, file: f.file }, 'station file re-read failed: the running configuration of its station stays')
      return false
    }
  }
  return {
    name: 'station-files-watch',
    start() {
      watcher = watchStationFiles(deps.stationsPath, reread, deps.debounceMs)
    },
    stop() {
      watcher?.stop()
    },
  }
}
