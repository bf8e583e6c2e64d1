import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { ConfigError } from '../config/env.ts'
import { loadLedgerSeeds } from '../config/ledger-seed.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Part } from '../lifecycle.ts'
import type { LedgerStore } from '../ledger/ledger-store.ts'
import { LedgerService } from '../ledger/ledger-service.ts'
import { seedReceipts } from '../ledger/seed.ts'
import type { Clock, Timers } from '../ports.ts'

export const EXPIRY_RULES = ['expiring', 'expired'] as const
/** The ledger's `stock-low`, reconciled only on the items no device reports (`ledgerSubjects`). */
export const LEDGER_STOCK_RULES = ['stock-low'] as const

/**
 * The station ledger (contract v2 §C) as a part: on start, opening stock from LEDGER_SEED is
 * applied to stations whose ledger has no history, then expiry is judged now and at each local
 * midnight. Start it after the alert engine: the engine's unresolved alerts are what the ledger's
 * judgement reconciles (the root wires `onJudged`).
 */
export function ledgerPart(deps: { store: LedgerStore; stations: StationConfig[]; clock: Clock; timers: Timers; seedDir: string | undefined; log: Logger }): { ledger: LedgerService; part: Part } {
  const { clock, log } = deps
  // 10 hex digits: short enough to read out and write on a shelf label, unique enough for a station's batches.
  const newId = () => randomBytes(5).toString('hex')
  const ledger = new LedgerService({ stations: deps.stations, store: deps.store, clock, timers: deps.timers, newId, onError: (err) => log.error({ err }, 'ledger: the midnight expiry judgement failed; it is tried again at the next') })
  const part: Part = {
    name: 'ledger',
    async start() {
      for (const seed of loadLedgerSeeds(deps.seedDir)) {
        const station = deps.stations.find((s) => s.id === seed.station)
        if (!station) {
          log.warn({ station: seed.station }, 'ledger seed for an unknown station: skipped')
          continue
        }
        try {
          if (await ledger.seed(station.id, seedReceipts(seed, clock.now(), station.timezone))) log.info({ station: station.id, batches: seed.batches.length }, 'ledger seeded with its opening stock')
        } catch (err) {
          throw new ConfigError(`LEDGER_SEED ${seed.station}: ${(err as Error).message}`)
        }
      }
      await ledger.start()
    },
    stop: () => ledger.stop(),
  }
  return { ledger, part }
}
