import { randomBytes } from 'node:crypto'
import type { Router } from 'express'
import type { Logger } from 'pino'
import type { Db } from '../adapters/embedded/database.ts'
import { EmbeddedLedgerStore } from '../adapters/embedded/ledger-store.ts'
import { ledgerRoutes } from '../adapters/http/routes/ledger.ts'
import type { AlertEngine } from '../alerts/alert-engine.ts'
import type { Accounts } from '../auth/accounts.ts'
import { ConfigError } from '../config/env.ts'
import { loadLedgerSeeds } from '../config/ledger-seed.ts'
import type { StationConfig } from '../domain/station.ts'
import { LedgerService } from '../ledger/ledger-service.ts'
import { seedReceipts } from '../ledger/seed.ts'
import type { Clock, Timers } from '../ports.ts'
import type { StatusBoard } from './status-board.ts'

export interface LedgerWiring {
  ledger: LedgerService
  router: Router
  stop(): void
}

const EXPIRY_RULES = ['expiring', 'expired'] as const

/**
 * The station ledger (contract v2 §C) plugged into the rest: its store in the embedded database,
 * its expiry conditions into the alert engine, its usable quantities into the station status.
 * Call after the alert engine has started (its unresolved alerts are what the ledger reconciles).
 */
export function startLedger(deps: { db: Db; stations: StationConfig[]; engine: AlertEngine; board: StatusBoard; accounts: Accounts; clock: Clock; timers: Timers; seedDir: string | undefined; log: Logger }): LedgerWiring {
  const { engine, board, clock } = deps
  // 10 hex digits: short enough to read out and write on a shelf label, unique enough for a station's batches.
  const newId = () => randomBytes(5).toString('hex')
  const ledger = new LedgerService(deps.stations, new EmbeddedLedgerStore(deps.db), clock, deps.timers, newId)
  ledger.onJudged((station, j) => {
    engine.reconcile(station.id, EXPIRY_RULES, j.conditions)
    board.touch(station.id)
  })
  board.useLedger((station) => ledger.usable(station))
  for (const seed of loadLedgerSeeds(deps.seedDir)) {
    const station = deps.stations.find((s) => s.id === seed.station)
    if (!station) {
      deps.log.warn({ station: seed.station }, 'ledger seed for an unknown station: skipped')
      continue
    }
    try {
      if (ledger.seed(station.id, seedReceipts(seed, clock.now(), station.timezone))) deps.log.info({ station: station.id, batches: seed.batches.length }, 'ledger seeded with its opening stock')
    } catch (err) {
      throw new ConfigError(`LEDGER_SEED ${seed.station}: ${(err as Error).message}`)
    }
  }
  ledger.start()
  return { ledger, router: ledgerRoutes(deps.accounts, ledger, clock), stop: () => ledger.stop() }
}
