import Database from 'better-sqlite3'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
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

// Display tokens and user station scopes (contract v2 §E) came after the shared suite; they run
// against the embedded store here until the PostgreSQL store implements them.
describe('embedded (SQLite): display tokens and station scopes', () => {
  let dir: string
  let store: EmbeddedStateStore
  const reopen = async () => {
    await store.stop()
    store = new EmbeddedStateStore({ dataDir: dir })
    return store
  }
  beforeEach(() => {
    dir = tempDir('sw-state-e-')
    store = new EmbeddedStateStore({ dataDir: dir })
  })
  afterEach(async () => {
    await store.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('user station scope (contract v2 §E): kept, changed, lifted, seen by the session lookup, across a reopen', async () => {
    const a = store.accounts
    await a.insertUser({ name: 'pm', role: 'viewer', passwordHash: 'h', createdAt: 1, stations: ['s1', 's2'] })
    await a.insertUser({ name: 'all', role: 'viewer', passwordHash: 'h', createdAt: 1 })
    a.insertSession({ tokenHash: 'tp', username: 'pm', expiresAt: 100, createdAt: 1 })
    expect((await a.findUser('pm'))?.stations).toEqual(['s1', 's2'])
    expect(await a.findUser('all')).not.toHaveProperty('stations')
    expect((await a.findSession('tp', 0))?.user).toEqual({ name: 'pm', role: 'viewer', stations: ['s1', 's2'] })
    a.updateUser('pm', { stations: ['s2'] })
    expect((await a.findSession('tp', 0))?.user.stations).toEqual(['s2'])
    // a change that does not name the scope keeps it
    a.updateUser('pm', { role: 'staff' })
    expect(await a.findUser('pm')).toMatchObject({ role: 'staff', passwordHash: 'h', stations: ['s2'] })
    await reopen()
    expect((await store.accounts.listUsers()).find((u) => u.name === 'pm')?.stations).toEqual(['s2'])
    store.accounts.updateUser('pm', { stations: null })
    expect((await store.accounts.findSession('tp', 0))?.user).toEqual({ name: 'pm', role: 'staff' })
  })

  test('display tokens: found by hash, listed oldest first, bounded inside the insert, removed, across a reopen', async () => {
    const d = store.displayTokens
    const token = (i: number) => ({ id: `d${i}`, tokenHash: `h${i}`, name: `wall ${i}`, stations: ['s1'], createdAt: 10 + i, createdBy: 'admin' })
    expect(d.insert(token(1), 2)).toBe(true)
    expect(d.insert(token(2), 2)).toBe(true)
    expect(d.insert(token(3), 2)).toBe(false)
    expect(d.findByHash('h2')).toEqual(token(2))
    expect(d.findByHash('h3')).toBeUndefined()
    await reopen()
    expect(store.displayTokens.list().map((t) => t.id)).toEqual(['d1', 'd2'])
    expect(store.displayTokens.remove('d1')).toEqual(token(1))
    expect(store.displayTokens.remove('d1')).toBeUndefined()
    expect(store.displayTokens.findByHash('h1')).toBeUndefined()
    expect(store.displayTokens.insert(token(3), 2)).toBe(true)
  })
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
