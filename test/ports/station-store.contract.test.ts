import { rmSync } from 'node:fs'
import { EmbeddedStateStore } from '../../src/adapters/embedded/state-store.ts'
import { tempDir } from '../helpers/station-fixture.ts'
import { stationStoreContract } from './station-store-contract.ts'

stationStoreContract('embedded (SQLite)', () => {
  const dir = tempDir('sw-station-store-')
  let store = new EmbeddedStateStore({ dataDir: dir })
  return {
    get store() {
      return store
    },
    async reopen() {
      await store.stop()
      store = new EmbeddedStateStore({ dataDir: dir })
      return store
    },
    async close() {
      await store.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})
