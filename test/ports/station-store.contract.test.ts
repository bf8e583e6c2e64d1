import { rmSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { EmbeddedStateStore } from '../../src/adapters/embedded/state-store.ts'
import type { AuditEvent } from '../../src/domain/audit-event.ts'
import type { StateStore, StoredStation } from '../../src/ports.ts'
import { fixtureStation, tempDir } from '../helpers/station-fixture.ts'

/**
 * The state store's `stations` port (contract v2 §E), for every implementation (the embedded
 * SQLite store today; a PostgreSQL store joins by adding its factory): a station saved with its
 * audit event is there after reopening, a save replaces, a drop forgets, and each leaves its event.
 */
interface Handle { store: StateStore; reopen(): Promise<StateStore>; close(): Promise<void> }

function stationStoreContract(name: string, open: () => Handle) {
  describe(`StationStore contract: ${name}`, () => {
    let h: Handle
    beforeEach(() => {
      h = open()
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
