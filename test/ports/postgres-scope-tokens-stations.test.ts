import { fileURLToPath } from 'node:url'
import { runner } from 'node-pg-migrate'
import { expect, test } from 'vitest'
import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import type { StoredDisplayToken } from '../../src/ports.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'

const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/adapters/postgres/migrations', import.meta.url))

/**
 * What contract v2 §E added to the PostgreSQL state store, beyond the port's contracts: a database
 * migrated before it moves forward, and two instances on one database (two cluster instances)
 * cannot pass the display-token bound together and see each other's stations.
 */
describeWithPostgres('PostgreSQL state store: station scope, display tokens, stations', () => {
  const pg = usePostgres()
  const open = async (url: string) => {
    const s = await PostgresStateStore.open({ url })
    pg.cleanup(() => s.stop())
    return s
  }

  test('a database migrated with 001 only moves forward: its users keep every station and can be scoped', async () => {
    const url = await pg.database()
    const ran = await runner({ databaseUrl: url, dir: MIGRATIONS_DIR, migrationsTable: 'pgmigrations', direction: 'up', count: 1, log: () => undefined })
    expect(ran.map((m) => m.name)).toEqual(['001_state-store'])
    await pg.postgres.query("INSERT INTO users (username, password_hash, role, created_at) VALUES ('li', 'h', 'staff', 1)", [], new URL(url).pathname.slice(1))
    const store = await open(url)
    expect(await store.accounts.findUser('li')).toEqual({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 1 })
    store.accounts.updateUser('li', { stations: ['s1'] })
    expect(await store.accounts.findUser('li')).toEqual({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 1, stations: ['s1'] })
    expect(await store.displayTokens.list()).toEqual([])
    expect(await store.stations.loadStations()).toEqual([])
  })

  test('display tokens: creations racing on two instances never pass the bound together', async () => {
    const url = await pg.database()
    const a = await open(url)
    const b = await open(url)
    const token = (round: number, i: number): StoredDisplayToken => ({ id: `r${round}-${i}`, tokenHash: `h${round}-${i}`, name: `wall ${i}`, stations: ['s1'], createdAt: i, createdBy: 'admin' })
    const max = 4
    for (let round = 0; round < 5; round++) {
      // Sixteen creations at once, alternating between the instances, each on its own connection.
      const won = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).displayTokens.insert(token(round, i), max)))
      expect(won.filter(Boolean)).toHaveLength(max)
      const stored = await a.displayTokens.list()
      expect(stored).toHaveLength(max)
      expect(stored.map((t) => t.id).sort()).toEqual(won.flatMap((w, i) => (w ? [`r${round}-${i}`] : [])).sort())
      // Both instances remove at once: each token comes back to exactly one of them.
      const removed = await Promise.all(stored.flatMap((t) => [a.displayTokens.remove(t.id), b.displayTokens.remove(t.id)]))
      expect(removed.filter((r) => r !== undefined)).toHaveLength(max)
      expect(await b.displayTokens.list()).toEqual([])
    }
  })

  test('a station saved on one instance is loaded by another once the stations port says it is committed, with its audit event', async () => {
    const url = await pg.database()
    const a = await open(url)
    const b = await open(url)
    a.stations.saveStation(
      { id: 's9', config: fixtureStation('s9').json, fileHash: null, updatedAt: 5, updatedBy: 'admin' },
      { t: 5, station: 's9', kind: 'station-created', subject: 'station:s9', device: '', user: 'admin', detail: 'test' },
    )
    // What the API waits for before it answers a station change.
    await a.stations.committed()
    expect((await b.stations.loadStations()).map((s) => [s.id, s.updatedBy])).toEqual([['s9', 'admin']])
    expect((await b.records.queryEvents({ station: 's9', limit: 10 })).map((e) => e.kind)).toEqual(['station-created'])
  })
})
