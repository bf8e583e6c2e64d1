import Database from 'better-sqlite3'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { EmbeddedStateStore } from '../../src/adapters/embedded/state-store.ts'
import type { AlertRecord, Incident } from '../../src/alerts/alert.ts'
import type { Batch, LedgerChange, Movement } from '../../src/ledger/ledger.ts'
import type { StationSnapshot } from '../../src/domain/station-state.ts'
import type { StateStore } from '../../src/ports.ts'
import { tempDir } from '../helpers/station-fixture.ts'

/**
 * The StateStore contract, one suite for every implementation (the embedded SQLite store today;
 * cluster mode's PostgreSQL store joins it). What is written, committed and read back through the
 * port, and what survives reopening the store, must not depend on which store answers.
 */
interface Handle {
  store: StateStore
  /** closes the store and opens it again on the same data */
  reopen(): Promise<StateStore>
  close(): Promise<void>
}

function stateStoreContract(name: string, open: () => Handle) {
  describe(`StateStore contract: ${name}`, () => {
    let h: Handle
    let store: StateStore
    beforeEach(() => {
      h = open()
      store = h.store
    })
    afterEach(() => h.close())

    const alert = (over: Partial<AlertRecord> = {}): AlertRecord => ({
      id: `a-${Math.random().toString(16).slice(2)}`,
      station: 's1',
      rule: 'door-forced',
      subject: 'door:main',
      severity: 'critical',
      state: 'active',
      message: 'main door forced',
      openedAt: 1_000,
      escalated: false,
      occurrence: 1_000,
      ...over,
    })

    test('users: inserted once, found, updated, listed by name; a taken name is refused', async () => {
      const a = store.accounts
      expect(a.insertUser({ name: 'li', role: 'staff', passwordHash: 'h1', createdAt: 5 })).toBe(true)
      expect(a.insertUser({ name: 'li', role: 'admin', passwordHash: 'h2', createdAt: 6 })).toBe(false)
      expect(a.insertUser({ name: 'an', role: 'viewer', passwordHash: 'h3', createdAt: 7 })).toBe(true)
      a.updateUser('li', { passwordHash: 'h9', role: 'responder' })
      expect(a.findUser('li')).toEqual({ name: 'li', role: 'responder', passwordHash: 'h9', createdAt: 5 })
      expect(a.findUser('nobody')).toBeUndefined()
      expect(a.listUsers().map((u) => u.name)).toEqual(['an', 'li'])
      store = await h.reopen()
      expect(store.accounts.findUser('li')?.role).toBe('responder')
    })

    test('user station scope (contract v2 §E): kept, changed, lifted, seen by the session lookup, across a reopen', async () => {
      const a = store.accounts
      a.insertUser({ name: 'pm', role: 'viewer', passwordHash: 'h', createdAt: 1, stations: ['s1', 's2'] })
      a.insertUser({ name: 'all', role: 'viewer', passwordHash: 'h', createdAt: 1 })
      a.insertSession({ tokenHash: 'tp', username: 'pm', expiresAt: 100, createdAt: 1 })
      expect(a.findUser('pm')?.stations).toEqual(['s1', 's2'])
      expect(a.findUser('all')).not.toHaveProperty('stations')
      expect(a.findSession('tp', 0)?.user).toEqual({ name: 'pm', role: 'viewer', stations: ['s1', 's2'] })
      a.updateUser('pm', { stations: ['s2'] })
      expect(a.findSession('tp', 0)?.user.stations).toEqual(['s2'])
      // a change that does not name the scope keeps it
      a.updateUser('pm', { role: 'staff' })
      expect(a.findUser('pm')).toMatchObject({ role: 'staff', passwordHash: 'h', stations: ['s2'] })
      store = await h.reopen()
      expect(store.accounts.listUsers().find((u) => u.name === 'pm')?.stations).toEqual(['s2'])
      store.accounts.updateUser('pm', { stations: null })
      expect(store.accounts.findSession('tp', 0)?.user).toEqual({ name: 'pm', role: 'staff' })
    })

    test('display tokens: found by hash, listed oldest first, bounded inside the insert, removed, across a reopen', async () => {
      const d = store.displayTokens
      const token = (i: number) => ({ id: `d${i}`, tokenHash: `h${i}`, name: `wall ${i}`, stations: ['s1'], createdAt: 10 + i, createdBy: 'admin' })
      expect(d.insert(token(1), 2)).toBe(true)
      expect(d.insert(token(2), 2)).toBe(true)
      expect(d.insert(token(3), 2)).toBe(false)
      expect(d.findByHash('h2')).toEqual(token(2))
      expect(d.findByHash('h3')).toBeUndefined()
      store = await h.reopen()
      expect(store.displayTokens.list().map((t) => t.id)).toEqual(['d1', 'd2'])
      expect(store.displayTokens.remove('d1')).toEqual(token(1))
      expect(store.displayTokens.remove('d1')).toBeUndefined()
      expect(store.displayTokens.findByHash('h1')).toBeUndefined()
      expect(store.displayTokens.insert(token(3), 2)).toBe(true)
    })

    test('sessions: found while live with the user’s current role, never once expired; trimmed oldest first; swept', () => {
      const a = store.accounts
      a.insertUser({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 0 })
      for (let i = 0; i < 5; i++) a.insertSession({ tokenHash: `t${i}`, username: 'li', expiresAt: 1_000 + i, createdAt: i })
      expect(a.findSession('t4', 999)).toEqual({ user: { name: 'li', role: 'staff' }, expiresAt: 1_004 })
      expect(a.findSession('t0', 1_000)).toBeUndefined()
      a.updateUser('li', { passwordHash: 'h', role: 'admin' })
      expect(a.findSession('t4', 999)?.user.role).toBe('admin')
      expect(a.trimSessions('li', 3).sort()).toEqual(['t0', 't1'])
      expect(a.findSession('t1', 0)).toBeUndefined()
      a.deleteSession('t4')
      expect(a.findSession('t4', 0)).toBeUndefined()
      expect(a.deleteExpiredSessions(1_003)).toBe(2)
      expect(a.findSession('t2', 0)).toBeUndefined()
    })

    test('alerts and incidents: saved changes are read back once committed, unresolved ones restored for the engine', async () => {
      const open = alert({ id: 'open-1' })
      const old = alert({ id: 'old-1', state: 'resolved', resolvedAt: 2_000, occurrence: 500, openedAt: 500 })
      store.alerts.saveAlert(old)
      store.alerts.saveAlert(open)
      store.alerts.saveAlert({ ...open, state: 'acknowledged', ackedAt: 1_500, ackedBy: 'li' })
      const incident: Incident = { id: 'inc-1', station: 's1', openedAt: 100, openedBy: 'li' }
      store.alerts.saveIncident(incident)
      store.alerts.saveIncident({ id: 'inc-0', station: 's2', openedAt: 10, openedBy: 'an', closedAt: 50, closedBy: 'an' })
      await store.alerts.durable()
      store = await h.reopen()
      expect(store.alerts.getAlert('open-1')).toMatchObject({ state: 'acknowledged', ackedBy: 'li' })
      expect(store.alerts.queryAlerts({ state: 'resolved', limit: 10 }).map((a) => a.id)).toEqual(['old-1'])
      expect(store.alerts.queryAlerts({ station: 's1', limit: 10 }).map((a) => a.id)).toEqual(['open-1', 'old-1'])
      const forEngine = store.alerts.loadForEngine()
      expect(forEngine.unresolved.map((a) => a.id)).toEqual(['open-1'])
      expect([...forEngine.latestOccurrence.values()]).toContain(1_000)
      expect(store.alerts.openIncidents().map((i) => i.id)).toEqual(['inc-1'])
      expect(store.alerts.getIncident('inc-0')?.closedBy).toBe('an')
      expect(store.alerts.lastIncidentClose().get('s2')).toBe(50)
    })

    test('records: events newest first with their filters, rejects, and the latest snapshot of each station, across a reopen', async () => {
      const r = store.records
      r.appendEvents([
        { t: 1, station: 's1', kind: 'door-opened', subject: 'door:main', device: 'd1' },
        { t: 2, station: 's1', kind: 'key-taken', subject: 'key:k1', device: 'kb', user: 'badge-1' },
        { t: 3, station: 's2', kind: 'door-opened', subject: 'door:main', device: 'd2' },
      ])
      r.appendReject({ t: 4, device: 'd1', topic: 'stations/s1/devices/d1/state', reason: 'not JSON' })
      // `snap` reads the live state when the batch is cut: many changes, one serialisation of the latest.
      let live: StationSnapshot = { doors: { main: { open: true, since: 1 } } }
      r.saveSnapshot('s1', () => live)
      live = { doors: { main: { open: false, since: 5 } } }
      r.saveSnapshot('s1', () => live)
      await store.committed()
      store = await h.reopen()
      expect(store.records.queryEvents({ station: 's1', limit: 10 }).map((e) => e.t)).toEqual([2, 1])
      expect(store.records.queryEvents({ station: 's1', limit: 10, user: 'badge-1' }).map((e) => e.kind)).toEqual(['key-taken'])
      expect(store.records.queryRejects(10)).toEqual([{ t: 4, device: 'd1', topic: 'stations/s1/devices/d1/state', reason: 'not JSON' }])
      expect(store.records.loadSnapshots().get('s1')).toEqual({ doors: { main: { open: false, since: 5 } } })
    })

    test('the ledger: a transaction commits its batches, movements and audit events together, or nothing when its plan throws', () => {
      const batch: Batch = { id: 'b1', itemId: 'water', quantity: 24, receivedAt: 10 }
      const move: Movement = { id: 'm1', t: 10, kind: 'receipt', itemId: 'water', batchId: 'b1', quantity: 24, by: 'li' }
      const change: LedgerChange<string> = { batches: [batch], movements: [move], result: 'ok' }
      expect(store.ledger.transact('s1', () => change, (m) => ({ t: m.t, station: 's1', kind: 'ledger-receipt', subject: `item:${m.itemId}`, device: '', user: m.by })).result).toBe('ok')
      expect(store.ledger.hasHistory('s1')).toBe(true)
      expect(store.ledger.batches('s1').map((b) => [b.id, b.quantity])).toEqual([['b1', 24]])
      expect(() =>
        store.ledger.transact('s1', () => {
          throw new Error('plan refused')
        }, (m) => ({ t: m.t, station: 's1', kind: 'ledger-receipt', subject: `item:${m.itemId}`, device: '' })),
      ).toThrow('plan refused')
      expect(store.ledger.movements({ station: 's1', limit: 10 })).toHaveLength(1)
      expect(store.records.queryEvents({ station: 's1', limit: 10, kinds: ['ledger-receipt'] })).toHaveLength(1)
    })
  })
}

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
    expect(store.accounts.findUser('li')).toEqual({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 1 })
    store.accounts.updateUser('li', { stations: ['s1'] })
    expect(store.accounts.findUser('li')?.stations).toEqual(['s1'])
  } finally {
    await store.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})
