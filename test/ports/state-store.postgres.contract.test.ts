import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'
import { stateStoreContract } from './state-store-contract.ts'

// The same StateStore contract as the embedded store's, against a real PostgreSQL 15: one server
// for the file, a fresh database per test; reopening is a new store (a new pool) on that database.
describeWithPostgres('PostgreSQL', () => {
  const pg = usePostgres()
  stateStoreContract('PostgreSQL', async () => {
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
