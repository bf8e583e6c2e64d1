import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ledgerSeedSchema, type LedgerSeed } from '../ledger/seed.ts'
import { ConfigError } from './env.ts'

/**
 * `LEDGER_SEED`: a folder of `<station>.json` opening-stock files (src/ledger/seed.ts), applied at
 * start-up to each station whose ledger has never had a movement. Unset: no seed (`npm run demo`
 * sets it to config/ledger).
 */
export function loadLedgerSeeds(dir: string | undefined): LedgerSeed[] {
  if (!dir) return []
  if (!existsSync(dir)) throw new ConfigError(`LEDGER_SEED=${dir}: no such folder`)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f)
      let raw: unknown
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'))
      } catch (err) {
        throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`)
      }
      const r = ledgerSeedSchema.safeParse(raw)
      if (!r.success) {
        const issue = r.error.issues[0]!
        throw new ConfigError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
      }
      return r.data
    })
}
