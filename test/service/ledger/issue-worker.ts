// A second process on the same ledger file: issues one unit at a time until told how many tries.
import { openDatabase } from '../../../src/adapters/embedded/database.ts'
import { EmbeddedLedgerStore } from '../../../src/adapters/embedded/ledger-store.ts'
import { AppError } from '../../../src/domain/errors.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import { LedgerService } from '../../../src/ledger/ledger-service.ts'
import { systemClock, systemTimers } from '../../../src/ports.ts'
import { randomBytes } from 'node:crypto'

const [dataDir, stationJson, tries, who] = process.argv.slice(2) as [string, string, string, string]
const station = stationSchema.parse(JSON.parse(stationJson))
const db = openDatabase(dataDir)
const ledger = new LedgerService({ stations: [station], store: new EmbeddedLedgerStore(db), clock: systemClock, timers: systemTimers, newId: () => randomBytes(8).toString('hex') })
let won = 0
let refused = 0
for (let i = 0; i < Number(tries); i++) {
  try {
    await ledger.issue(station.id, { itemId: 'flashlights', quantity: 1, reason: 'use' }, who)
    won++
  } catch (err) {
    if (err instanceof AppError && err.status === 409) refused++
    else throw err
  }
}
db.close()
process.stdout.write(JSON.stringify({ won, refused }))
