import Database from 'better-sqlite3'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { EmbeddedStateStore } from '../../src/adapters/embedded/state-store.ts'
import { tempDir } from '../helpers/station-fixture.ts'
import { stateStoreContract } from './state-store-contract.ts'

stateStoreContract('embedded (SQLite)', () => {
  const dir = tempDir('sw-state-')
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

test('embedded: a data dir from before station scopes gets the users.stations column, and its users keep every station', async () => {
  const dir = tempDir('sw-state-old-')
  mkdirSync(dir, { recursive: true })
  const old = new Database(join(dir, 'stationwatch.db'))
  old.exec('CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL)')
  old.prepare('INSERT INTO users VALUES (?, ?, ?, ?)').run('li', 'h', 'staff', 1)
  old.close()
  const store = new EmbeddedStateStore({ dataDir: dir })
  try {
    expect(await store.accounts.findUser('li')).toEqual({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 1 })
    store.accounts.updateUser('li', { stations: ['s1'] })
    expect((await store.accounts.findUser('li'))?.stations).toEqual(['s1'])
  } finally {
    await store.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})
