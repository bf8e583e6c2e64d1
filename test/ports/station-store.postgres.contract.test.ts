import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'
import { stationStoreContract } from './station-store-contract.ts'

// The stations port's contract against a real PostgreSQL 15: a fresh database per test; reopening
// is a new store (a new pool) on that database, so what is read back is what was committed.
describeWithPostgres('PostgreSQL', () => {
  const pg = usePostgres()
  stationStoreContract('PostgreSQL', async () => {
    const url = await pg.database()
    let store = await PostgresStateStore.open({ url })
    return {
      get store() {
        return store
      },
      async reopen() {
        await store.stop()
        store = await PostgresStateStore.open({ url })
        return store
      },
      async close() {
        await store.stop()
      },
    }
  })
})
