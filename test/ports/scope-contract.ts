import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { StateStore } from '../../src/ports.ts'
import type { StateStoreHandle } from './state-store-contract.ts'

/**
 * What contract v2 §E added to the state store (user station scopes, display tokens, stations made
 * through the API), for every implementation, like stateStoreContract.
 */
export function scopeContract(name: string, open: () => StateStoreHandle | Promise<StateStoreHandle>) {
  describe(`StateStore §E contract: ${name}`, () => {
    let h: StateStoreHandle
    let store: StateStore
    const reopen = async () => (store = await h.reopen())
    beforeEach(async () => {
      h = await open()
      store = h.store
    })
    afterEach(() => h.close())

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

    test('stations saved through the API: loaded back, replaced, dropped, each change with its audit event, across a reopen', async () => {
      const event = (kind: string, t: number) => ({ t, station: 'n1', kind: kind as 'station-updated', subject: 'station', device: '' })
      store.stations.saveStation({ id: 'n1', config: { id: 'n1', name: 'One' }, fileHash: null, updatedAt: 5, updatedBy: 'admin' }, event('station-updated', 5))
      store.stations.saveStation({ id: 'n1', config: { id: 'n1', name: 'Uno' }, fileHash: 'abc', updatedAt: 6, updatedBy: 'admin' }, event('station-updated', 6))
      await store.committed()
      await reopen()
      expect(await store.stations.loadStations()).toEqual([{ id: 'n1', config: { id: 'n1', name: 'Uno' }, fileHash: 'abc', updatedAt: 6, updatedBy: 'admin' }])
      store.stations.dropStation('n1', event('station-updated', 7))
      expect(await store.stations.loadStations()).toEqual([])
      expect((await store.records.queryEvents({ station: 'n1', limit: 10 })).map((e) => e.t).sort()).toEqual([5, 6, 7])
    })
  })
}
