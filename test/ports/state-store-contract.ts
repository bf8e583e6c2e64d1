import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { AlertRecord, Incident } from '../../src/alerts/alert.ts'
import type { Batch, LedgerChange, Movement } from '../../src/ledger/ledger.ts'
import type { StationSnapshot } from '../../src/domain/station-state.ts'
import type { StateStore } from '../../src/ports.ts'

/**
 * The StateStore contract, one suite for every implementation: each adapter's test file calls
 * `stateStoreContract` with a factory (state-store.contract.test.ts for the embedded SQLite store;
 * cluster mode's PostgreSQL store does the same). What is written, committed and read back through
 * the port, and what survives reopening the store, must not depend on which store answers. Reads
 * return Promises (ports.ts); a read sees the writes queued before it without waiting for a commit.
 */
export interface StateStoreHandle {
  store: StateStore
  /** closes the store and opens it again on the same data */
  reopen(): Promise<StateStore>
  /** closes the store and drops its data */
  close(): Promise<void>
}

export function stateStoreContract(name: string, open: () => StateStoreHandle | Promise<StateStoreHandle>) {
  describe(`StateStore contract: ${name}`, () => {
    let h: StateStoreHandle
    let store: StateStore
    beforeEach(async () => {
      h = await open()
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
      expect(await a.insertUser({ name: 'li', role: 'staff', passwordHash: 'h1', createdAt: 5 })).toBe(true)
      expect(await a.insertUser({ name: 'li', role: 'admin', passwordHash: 'h2', createdAt: 6 })).toBe(false)
      expect(await a.insertUser({ name: 'an', role: 'viewer', passwordHash: 'h3', createdAt: 7 })).toBe(true)
      a.updateUser('li', { passwordHash: 'h9', role: 'responder' })
      expect(await a.findUser('li')).toEqual({ name: 'li', role: 'responder', passwordHash: 'h9', createdAt: 5 })
      expect(await a.findUser('nobody')).toBeUndefined()
      expect((await a.listUsers()).map((u) => u.name)).toEqual(['an', 'li'])
      await store.committed()
      store = await h.reopen()
      expect((await store.accounts.findUser('li'))?.role).toBe('responder')
    })

    test('users: of two inserts of one name at once, exactly one wins', async () => {
      const results = await Promise.all([1, 2, 3].map((i) => store.accounts.insertUser({ name: 'zhou', role: 'viewer', passwordHash: `h${i}`, createdAt: i })))
      expect(results.filter(Boolean)).toHaveLength(1)
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
      await store.committed()
      store = await h.reopen()
      expect((await store.accounts.listUsers()).find((u) => u.name === 'pm')?.stations).toEqual(['s2'])
      store.accounts.updateUser('pm', { stations: null })
      expect((await store.accounts.findSession('tp', 0))?.user).toEqual({ name: 'pm', role: 'staff' })
    })

    test('display tokens: found by hash, listed oldest first, bounded inside the insert, removed, across a reopen', async () => {
      const d = store.displayTokens
      const token = (i: number) => ({ id: `d${i}`, tokenHash: `h${i}`, name: `wall ${i}`, stations: ['s1'], createdAt: 10 + i, createdBy: 'admin' })
      expect(await d.insert(token(1), 2)).toBe(true)
      expect(await d.insert(token(2), 2)).toBe(true)
      expect(await d.insert(token(3), 2)).toBe(false)
      expect(await d.findByHash('h2')).toEqual(token(2))
      expect(await d.findByHash('h3')).toBeUndefined()
      await store.committed()
      store = await h.reopen()
      expect((await store.displayTokens.list()).map((t) => t.id)).toEqual(['d1', 'd2'])
      expect(await store.displayTokens.remove('d1')).toEqual(token(1))
      expect(await store.displayTokens.remove('d1')).toBeUndefined()
      expect(await store.displayTokens.findByHash('h1')).toBeUndefined()
      expect(await store.displayTokens.insert(token(3), 2)).toBe(true)
    })

    test('display tokens: of many inserts at once past the bound, exactly the bound win', async () => {
      const d = store.displayTokens
      const won = await Promise.all(Array.from({ length: 8 }, (_, i) => d.insert({ id: `p${i}`, tokenHash: `ph${i}`, name: `wall ${i}`, stations: ['s1'], createdAt: i, createdBy: 'admin' }, 3)))
      expect(won.filter(Boolean)).toHaveLength(3)
      expect(await d.list()).toHaveLength(3)
    })

    test('sessions: found while live with the user’s current role, never once expired; trimmed oldest first; swept', async () => {
      const a = store.accounts
      await a.insertUser({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 0 })
      for (let i = 0; i < 5; i++) a.insertSession({ tokenHash: `t${i}`, username: 'li', expiresAt: 1_000 + i, createdAt: i })
      // No commit awaited: a read sees the writes queued before it.
      expect(await a.findSession('t4', 999)).toEqual({ user: { name: 'li', role: 'staff' }, expiresAt: 1_004 })
      expect(await a.findSession('t0', 1_000)).toBeUndefined()
      a.updateUser('li', { passwordHash: 'h', role: 'admin' })
      expect((await a.findSession('t4', 999))?.user.role).toBe('admin')
      expect((await a.trimSessions('li', 3)).sort()).toEqual(['t0', 't1'])
      expect(await a.findSession('t1', 0)).toBeUndefined()
      a.deleteSession('t4')
      expect(await a.findSession('t4', 0)).toBeUndefined()
      expect(await a.deleteExpiredSessions(1_003)).toBe(2)
      expect(await a.findSession('t2', 0)).toBeUndefined()
      a.insertSession({ tokenHash: 't9', username: 'li', expiresAt: 9_000, createdAt: 9 })
      await store.committed()
      store = await h.reopen()
      expect(await store.accounts.findSession('t9', 1_000)).toEqual({ user: { name: 'li', role: 'admin' }, expiresAt: 9_000 })
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
      expect(await store.alerts.getAlert('open-1')).toMatchObject({ state: 'acknowledged', ackedBy: 'li' })
      expect((await store.alerts.queryAlerts({ state: 'resolved', limit: 10 })).map((a) => a.id)).toEqual(['old-1'])
      expect((await store.alerts.queryAlerts({ station: 's1', limit: 10 })).map((a) => a.id)).toEqual(['open-1', 'old-1'])
      const forEngine = await store.alerts.loadForEngine()
      expect(forEngine.unresolved.map((a) => a.id)).toEqual(['open-1'])
      expect([...forEngine.latestOccurrence.values()]).toContain(1_000)
      expect((await store.alerts.openIncidents()).map((i) => i.id)).toEqual(['inc-1'])
      expect((await store.alerts.getIncident('inc-0'))?.closedBy).toBe('an')
      expect((await store.alerts.lastIncidentClose()).get('s2')).toBe(50)
    })

    test('alerts: a read sees the saves queued before it, without waiting for a commit', async () => {
      const a = alert({ id: 'fresh-1' })
      store.alerts.saveAlert(a)
      expect((await store.alerts.getAlert('fresh-1'))?.state).toBe('active')
      store.alerts.saveAlert({ ...a, state: 'resolved', resolvedAt: 3_000 })
      expect((await store.alerts.getAlert('fresh-1'))?.state).toBe('resolved')
      expect((await store.alerts.loadForEngine()).unresolved).toEqual([])
      store.alerts.saveIncident({ id: 'inc-9', station: 's3', openedAt: 1, openedBy: 'li' })
      expect((await store.alerts.openIncidents()).map((i) => i.id)).toEqual(['inc-9'])
      expect(await store.alerts.getIncident('nope')).toBeUndefined()
      expect(await store.alerts.getAlert('nope')).toBeUndefined()
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
      expect((await store.records.queryEvents({ station: 's1', limit: 10 })).map((e) => e.t)).toEqual([2, 1])
      expect((await store.records.queryEvents({ station: 's1', limit: 10, user: 'badge-1' })).map((e) => e.kind)).toEqual(['key-taken'])
      expect(await store.records.queryRejects(10)).toEqual([{ t: 4, device: 'd1', topic: 'stations/s1/devices/d1/state', reason: 'not JSON' }])
      expect((await store.records.loadSnapshots()).get('s1')).toEqual({ doors: { main: { open: false, since: 5 } } })
    })

    test('records: the snapshots of some stations only (a partition taken over in cluster mode)', async () => {
      store.records.saveSnapshot('s7', () => ({ doors: { main: { open: true, since: 7 } } }))
      store.records.saveSnapshot('s8', () => ({ doors: { main: { open: false, since: 8 } } }))
      await store.committed()
      const some = await store.records.loadSnapshots(['s8', 'nowhere'])
      expect([...some.keys()]).toEqual(['s8'])
      expect(some.get('s8')).toEqual({ doors: { main: { open: false, since: 8 } } })
      expect((await store.records.loadSnapshots([])).size).toBe(0)
    })

    test('records: a query sees the events and rejects appended before it, without waiting for a commit', async () => {
      store.records.appendEvents([{ t: 7, station: 's4', kind: 'door-opened', subject: 'door:main', device: 'd1' }])
      store.records.appendReject({ t: 8, device: 'd9', topic: 't', reason: 'r' })
      expect((await store.records.queryEvents({ station: 's4', limit: 10 })).map((e) => e.t)).toEqual([7])
      expect((await store.records.queryRejects(1))[0]?.device).toBe('d9')
    })

    test('the ledger: a transaction commits its batches, movements and audit events together, or nothing when its plan throws', async () => {
      const batch: Batch = { id: 'b1', itemId: 'water', quantity: 24, receivedAt: 10 }
      const move: Movement = { id: 'm1', t: 10, kind: 'receipt', itemId: 'water', batchId: 'b1', quantity: 24, by: 'li' }
      const change: LedgerChange<string> = { batches: [batch], movements: [move], result: 'ok' }
      expect(await store.ledger.hasHistory('s1')).toBe(false)
      expect((await store.ledger.transact('s1', () => change, (m) => ({ t: m.t, station: 's1', kind: 'ledger-receipt', subject: `item:${m.itemId}`, device: '', user: m.by }))).result).toBe('ok')
      expect(await store.ledger.hasHistory('s1')).toBe(true)
      expect((await store.ledger.batches('s1')).map((b) => [b.id, b.quantity])).toEqual([['b1', 24]])
      await expect(
        store.ledger.transact('s1', () => {
          throw new Error('plan refused')
        }, (m) => ({ t: m.t, station: 's1', kind: 'ledger-receipt', subject: `item:${m.itemId}`, device: '' })),
      ).rejects.toThrow('plan refused')
      expect(await store.ledger.movements({ station: 's1', limit: 10 })).toHaveLength(1)
      expect(await store.records.queryEvents({ station: 's1', limit: 10, kinds: ['ledger-receipt'] })).toHaveLength(1)
      store = await h.reopen()
      expect((await store.ledger.batches('s1', true)).map((b) => [b.id, b.quantity])).toEqual([['b1', 24]])
    })

    test('the ledger: concurrent transactions each plan on the batches the one before left; stock never goes below zero', async () => {
      await store.ledger.transact('s1', () => ({ batches: [{ id: 'b1', itemId: 'water', quantity: 5, receivedAt: 1 }], movements: [], result: null }), () => {
        throw new Error('no movements')
      })
      let n = 0
      const takeOne = () =>
        store.ledger.transact(
          's1',
          (held) => {
            const b = held.find((x) => x.id === 'b1')!
            if (b.quantity < 1) throw new Error('none left')
            const m: Movement = { id: `take-${++n}`, t: 2, kind: 'issue', itemId: 'water', batchId: 'b1', quantity: 1, by: 'li' }
            return { batches: [{ ...b, quantity: b.quantity - 1 }], movements: [m], result: b.quantity - 1 }
          },
          (m) => ({ t: m.t, station: 's1', kind: 'ledger-issue', subject: `item:${m.itemId}`, device: '', user: m.by }),
        )
      const results = await Promise.allSettled(Array.from({ length: 8 }, takeOne))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3)
      expect((await store.ledger.batches('s1', true))[0]?.quantity).toBe(0)
      expect(await store.ledger.movements({ station: 's1', limit: 100 })).toHaveLength(5)
    })

    test('the routine: inspection runs, trainings and drills read back newest first; the first-seen time is kept', async () => {
      const r = store.routine
      const since = await r.inspectionSince('s1', 'daily', 1_000)
      expect(since).toBe(1_000)
      expect(await r.inspectionSince('s1', 'daily', 5_000)).toBe(1_000)
      const audit = (kind: 'inspection-run' | 'training-recorded' | 'drill-started', t: number) => ({ t, station: 's1', kind, subject: 'x', device: '', user: 'li' })
      r.addRun({ id: 'r1', station: 's1', inspection: 'daily', t: 2_000, by: 'li', results: { a: { ok: true } }, dueAt: 1_500, late: true }, audit('inspection-run', 2_000))
      r.addRun({ id: 'r2', station: 's1', inspection: 'daily', t: 3_000, by: 'li', results: { a: { ok: false, note: 'dusty' } }, late: false }, audit('inspection-run', 3_000))
      expect((await r.runs({ station: 's1', inspection: 'daily', limit: 10 })).map((x) => x.id)).toEqual(['r2', 'r1'])
      expect((await r.lastCountedRun('s1', 'daily'))?.id).toBe('r1')
      r.addTraining({ id: 'tr1', station: 's1', date: '2026-12-01', topic: 'CPR', participants: ['li'], hours: 2, by: 'li', t: 4_000 }, audit('training-recorded', 4_000))
      expect((await r.trainings({ station: 's1', limit: 10 })).map((x) => x.id)).toEqual(['tr1'])
      const drill = { id: 'd1', station: 's1', rule: 'door-forced', alertId: 'al-1', startedAt: 5_000, startedBy: 'li', responses: [] }
      r.saveDrill(drill, audit('drill-started', 5_000))
      r.saveDrill({ ...drill, responses: [{ user: 'zhou', ackedAt: 5_030, secondsToAck: 30 }] })
      expect((await r.drill('d1'))?.responses).toHaveLength(1)
      expect((await r.drillOfAlert('al-1'))?.id).toBe('d1')
      expect((await r.drills({ station: 's1', limit: 10 })).map((d) => d.id)).toEqual(['d1'])
      expect(await r.drill('none')).toBeUndefined()
      expect(await store.records.queryEvents({ station: 's1', limit: 10, kinds: ['inspection-run', 'training-recorded', 'drill-started'] })).toHaveLength(4)
      await store.committed()
      store = await h.reopen()
      expect(await store.routine.inspectionSince('s1', 'daily', 9_000)).toBe(1_000)
      expect((await store.routine.runs({ station: 's1', limit: 10 })).map((x) => x.id)).toEqual(['r2', 'r1'])
    })

    test('the delivery log: deliveries in time order and the latest plan of each alert, read without waiting for a commit', async () => {
      const d = store.deliveries
      d.record({ alertId: 'a1', at: 2, step: 1, firing: 1, channel: 'sms', to: 'zhang', status: 'failed', error: 'timed out' })
      d.record({ alertId: 'a1', at: 1, step: 0, firing: 0, channel: 'group', status: 'sent' })
      const alert = { id: 'a1', station: 's1', rule: 'door-forced' as const, subject: 'door:main', severity: 'critical' as const, state: 'active' as const, message: 'm', openedAt: 0, escalated: false }
      d.savePlan({ alert, route: 0, next: 1, dueAt: 60_000 })
      d.savePlan({ alert, route: 0, next: 2, dueAt: 120_000 })
      expect((await d.forAlert('a1')).map((x) => x.at)).toEqual([1, 2])
      expect((await d.pendingPlans()).map((p) => p.next)).toEqual([2])
      d.dropPlan('a1')
      expect(await d.pendingPlans()).toEqual([])
    })
  })
}
