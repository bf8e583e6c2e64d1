import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { AuditEvent } from '../../src/domain/audit-event.ts'
import type { StateStore, StoredStation } from '../../src/ports.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'

/**
 * The state store's `stations` port (contract v2 §E), for every implementation (the embedded
 * SQLite store and the PostgreSQL one, each by its factory): a station saved with its audit event is
 * there after reopening, a save replaces, a drop forgets, and each leaves its event.
 */
export interface StationStoreHandle { store: StateStore; reopen(): Promise<StateStore>; close(): Promise<void> }

export function stationStoreContract(name: string, open: () => StationStoreHandle | Promise<StationStoreHandle>) {
  describe(`StationStore contract: ${name}`, () => {
    let h: StationStoreHandle
    beforeEach(async () => {
      h = await open()
    })
    afterEach(() => h.close())

    const row = (id: string, over: Partial<StoredStation> = {}): StoredStation => ({ id, config: fixtureStation(id).json, fileHash: null, updatedAt: 1_000, updatedBy: 'admin', ...over })
    const audit = (station: string, kind: AuditEvent['kind']): AuditEvent => ({ t: 1_000, station, kind, subject: `station:${station}`, device: '', user: 'admin', detail: 'test' })

    test('a saved station is there, as saved, after reopening; saving again replaces it', async () => {
      h.store.stations.saveStation(row('s1'), audit('s1', 'station-created'))
      h.store.stations.saveStation(row('s2', { fileHash: 'ab'.repeat(32) }), audit('s2', 'station-updated'))
      h.store.stations.saveStation(row('s1', { updatedAt: 2_000, updatedBy: 'other', config: { ...fixtureStation('s1').json, name: 'renamed' } }), audit('s1', 'station-updated'))
      const store = await h.reopen()
      const rows = await store.stations.loadStations()
      expect(rows.map((r) => r.id)).toEqual(['s1', 's2'])
      expect(rows[0]).toMatchObject({ fileHash: null, updatedAt: 2_000, updatedBy: 'other', config: { name: 'renamed' } })
      expect(rows[1]!.fileHash).toBe('ab'.repeat(32))
      expect(rows[1]!.config).toMatchObject({ id: 's2', name: '测试站', doors: [{ id: 'main' }, { id: 'equipment-room' }] })
    })

    test('changes made one after the other apply in that order: dropped, then saved again, it is there', async () => {
      h.store.stations.saveStation(row('s4'), audit('s4', 'station-created'))
      h.store.stations.dropStation('s4', audit('s4', 'station-file-reloaded'))
      h.store.stations.saveStation(row('s4', { updatedAt: 3_000 }), audit('s4', 'station-updated'))
      h.store.stations.saveStation(row('s5'), audit('s5', 'station-created'))
      h.store.stations.dropStation('s5', audit('s5', 'station-file-reloaded'))
      const store = await h.reopen()
      expect((await store.stations.loadStations()).map((r) => [r.id, r.updatedAt])).toEqual([['s4', 3_000]])
    })

    test('a dropped station is gone; every change left its audit event with who made it', async () => {
      h.store.stations.saveStation(row('s3'), audit('s3', 'station-created'))
      h.store.stations.dropStation('s3', audit('s3', 'station-file-reloaded'))
      expect(await h.store.stations.loadStations()).toEqual([])
      await h.store.records.flush()
      const events = await Promise.resolve(h.store.records.queryEvents({ station: 's3', limit: 10 }))
      expect(events.map((e) => [e.kind, e.user])).toEqual([
        ['station-file-reloaded', 'admin'],
        ['station-created', 'admin'],
      ])
    })
  })
}

