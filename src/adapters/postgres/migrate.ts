import { fileURLToPath } from 'node:url'
import { runner } from 'node-pg-migrate'

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url))

/**
 * Brings the database's schema up to date with node-pg-migrate: the SQL files in `migrations/`
 * that `pgmigrations` does not list yet run in one transaction. Instances starting together wait
 * on node-pg-migrate's advisory lock, so the first migrates and the others find nothing to do.
 * Resolves to the names of the migrations it ran (none when the schema was current).
 */
export async function migrate(url: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const ran = await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log,
  })
  return ran.map((m) => m.name)
}
