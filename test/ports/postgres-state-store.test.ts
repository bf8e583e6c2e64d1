import { createConnection, createServer, type Socket } from 'node:net'
import { expect, test } from 'vitest'
import { migrate } from '../../src/adapters/postgres/migrate.ts'
import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import type { Batch, LedgerChange, Movement } from '../../src/ledger/ledger.ts'
import type { AuditEvent } from '../../src/domain/audit-event.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'

/**
 * What the PostgreSQL state store must do beyond the port's contract (run in
 * state-store.postgres.contract.test.ts): its schema comes from node-pg-migrate, two instances on
 * one database (two cluster instances) share state and serialise the ledger, and a lost
 * connection costs no queued write.
 */
/** every migration in src/adapters/postgres/migrations/, in order */
const MIGRATIONS = ['001_state-store', '002_scopes-tokens-stations', '003_readings-and-progress', '004_partition-epochs']

describeWithPostgres('PostgreSQL state store', () => {
  const pg = usePostgres()
  const dbName = (url: string) => new URL(url).pathname.slice(1)
  const open = async (url: string, opts: Partial<Parameters<typeof PostgresStateStore.open>[0]> = {}) => {
    const s = await PostgresStateStore.open({ url, ...opts })
    pg.cleanup(() => s.stop())
    return s
  }

  test('a fresh database is migrated by node-pg-migrate; migrating again runs nothing and keeps the data', async () => {
    const url = await pg.database()
    expect(await migrate(url)).toEqual(MIGRATIONS)
    const tables = await pg.postgres.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", [], dbName(url))
    expect(tables.rows.map((r) => r.tablename)).toEqual(
      expect.arrayContaining(['events', 'users', 'sessions', 'alerts', 'ledger_batches', 'pgmigrations', 'store_writers', 'display_tokens', 'station_configs']),
    )
    const store = await open(url)
    expect(await store.accounts.insertUser({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 1 })).toBe(true)
    expect(await migrate(url)).toEqual([])
    const recorded = await pg.postgres.query('SELECT name FROM pgmigrations ORDER BY id', [], dbName(url))
    expect(recorded.rows.map((r) => r.name)).toEqual(MIGRATIONS)
    expect((await store.accounts.findUser('li'))?.role).toBe('staff')
  })

  test('instances starting together on a fresh database: one migrates, the other waits and finds nothing to do', async () => {
    const url = await pg.database()
    const ran = await Promise.all([migrate(url), migrate(url), migrate(url)])
    expect(ran.flat()).toEqual(MIGRATIONS)
  })

  test('two instances on one database see each other’s committed writes', async () => {
    const url = await pg.database()
    const a = await open(url)
    const b = await open(url)
    a.records.appendEvents([{ t: 1, station: 's1', kind: 'door-opened', subject: 'door:main', device: 'd1' }])
    a.records.saveSnapshot('s1', () => ({ doors: { main: { open: true, since: 1 } } }))
    a.accounts.insertSession({ tokenHash: 'tok', username: 'li', expiresAt: 10_000, createdAt: 1 })
    expect(await a.accounts.insertUser({ name: 'li', role: 'staff', passwordHash: 'h', createdAt: 1 })).toBe(true)
    await a.committed()
    expect((await b.records.queryEvents({ station: 's1', limit: 10 })).map((e) => e.kind)).toEqual(['door-opened'])
    expect((await b.records.loadSnapshots()).get('s1')).toEqual({ doors: { main: { open: true, since: 1 } } })
    expect((await b.accounts.findSession('tok', 5))?.user).toEqual({ name: 'li', role: 'staff' })
    // b ends the session; a sees it gone.
    b.accounts.deleteSession('tok')
    await b.committed()
    expect(await a.accounts.findSession('tok', 5)).toBeUndefined()
  })

  test('group commit: the writes of one turn are one transaction; what arrives during a commit is the next one', async () => {
    const url = await pg.database()
    const commits: number[] = []
    const store = await open(url, { onCommit: (_ms, rows) => commits.push(rows) })
    const event = (t: number): AuditEvent => ({ t, station: 's1', kind: 'door-opened', subject: 'door:main', device: 'd1' })
    for (let t = 1; t <= 100; t++) store.records.appendEvents([event(t)])
    await store.committed()
    expect(commits).toEqual([100])
    store.records.appendEvents([event(101)])
    const first = store.committed()
    // The batch of one is cut at the end of this turn and is in flight (it needs the server's answers)...
    await new Promise((r) => setImmediate(r))
    // ...so these wait for it, then go together.
    for (let t = 102; t <= 131; t++) store.records.appendEvents([event(t)])
    const second = store.committed()
    await first
    await second
    expect(commits).toEqual([100, 1, 30])
    expect(await store.records.queryEvents({ station: 's1', limit: 200 })).toHaveLength(131)
  })

  test('stop() commits what is queued before it closes the pool', async () => {
    const url = await pg.database()
    const first = await PostgresStateStore.open({ url })
    first.records.appendEvents([{ t: 7, station: 's1', kind: 'door-opened', subject: 'door:main', device: 'd1' }])
    first.alerts.saveIncident({ id: 'inc-1', station: 's1', openedAt: 7, openedBy: 'li' })
    await first.stop()
    const again = await open(url)
    expect((await again.records.queryEvents({ station: 's1', limit: 10 })).map((e) => e.t)).toEqual([7])
    expect((await again.alerts.openIncidents()).map((i) => i.id)).toEqual(['inc-1'])
    const writers = await pg.postgres.query('SELECT writer FROM store_writers', [], dbName(url))
    expect(writers.rows.map((r) => r.writer)).not.toContain(first.writer.id)
  })

  test('two instances can neither oversell the ledger nor create one user twice, however their operations interleave', async () => {
    const url = await pg.database()
    const a = await open(url)
    const b = await open(url)
    const audit = (m: Movement): AuditEvent => ({ t: m.t, station: 's1', kind: m.kind === 'receipt' ? 'ledger-receipt' : 'ledger-issue', subject: `item:${m.itemId}`, device: '', user: m.by })
    const receipt: Batch = { id: 'b1', itemId: 'water', quantity: 10, receivedAt: 1 }
    await a.ledger.transact('s1', () => ({ batches: [receipt], movements: [{ id: 'm0', t: 1, kind: 'receipt', itemId: 'water', batchId: 'b1', quantity: 10, by: 'li' }], result: null }), audit)
    // Each issue takes 1 if the batch holds any, or refuses (as the ledger's plan does).
    let n = 0
    const issueOne = (by: string) => (held: readonly Batch[]): LedgerChange<boolean> => {
      const b1 = held.find((h) => h.id === 'b1')!
      if (b1.quantity < 1) return { batches: [], movements: [], result: false }
      const id = `m-${by}-${++n}`
      return { batches: [{ ...b1, quantity: b1.quantity - 1 }], movements: [{ id, t: 2, kind: 'issue', itemId: 'water', batchId: 'b1', quantity: 1, by }], result: true }
    }
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).ledger.transact('s1', issueOne(i % 2 ? 'a' : 'b'), audit)))
    expect(results.filter((r) => r.result)).toHaveLength(10)
    expect((await b.ledger.batches('s1', true)).map((x) => x.quantity)).toEqual([0])
    expect(await a.ledger.movements({ station: 's1', limit: 100 })).toHaveLength(11)
    expect(await a.records.queryEvents({ station: 's1', limit: 100, kinds: ['ledger-issue'] })).toHaveLength(10)
    const inserts = await Promise.all([a, b, a, b].map((s, i) => s.accounts.insertUser({ name: 'zhang', role: 'staff', passwordHash: `h${i}`, createdAt: i })))
    expect(inserts.filter(Boolean)).toHaveLength(1)
    expect(await b.accounts.listUsers()).toHaveLength(1)
  })

  test('connections cut mid-stream: queued writes are retried and committed once, committed() resolves after', async () => {
    const url = await pg.database()
    const retries: Error[] = []
    const store = await open(url, { onRetry: (err) => retries.push(err) })
    const event = (t: number): AuditEvent => ({ t, station: 's1', kind: 'door-opened', subject: 'door:main', device: 'd1' })
    store.records.appendEvents([event(1)])
    await store.committed()
    // Stop the server while writes are queued: the commit fails, is retried, and lands once it is back.
    await pg.postgres.stop()
    for (let t = 2; t <= 50; t++) store.records.appendEvents([event(t)])
    const done = store.committed()
    let settled = false
    void done.then(() => (settled = true), () => (settled = true))
    await new Promise((r) => setTimeout(r, 700))
    expect(settled).toBe(false)
    expect(store.health().ok).toBe(false)
    expect(retries.length).toBeGreaterThan(0)
    await pg.postgres.start()
    await done
    expect(store.health()).toEqual({ ok: true })
    const ts = (await store.records.queryEvents({ station: 's1', limit: 100 })).map((e) => e.t)
    expect(ts).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i))
    // Connections killed under a live pool: the next batch still commits.
    await pg.postgres.terminateConnections(dbName(url))
    store.records.appendEvents([event(51)])
    await store.committed()
    expect((await store.records.queryEvents({ station: 's1', limit: 1 }))[0]?.t).toBe(51)
  })

  test('a COMMIT that reached the server but whose answer was lost is not applied twice when the batch is retried', async () => {
    const url = new URL(await pg.database())
    const proxy = await answerDropper(pg.postgres.port)
    pg.cleanup(() => proxy.close())
    url.port = String(proxy.port)
    const store = await open(url.href)
    const event = (t: number): AuditEvent => ({ t, station: 's1', kind: 'door-opened', subject: 'door:main', device: 'd1' })
    store.records.appendEvents([event(1)])
    await store.committed()
    proxy.armed = true
    for (let t = 2; t <= 5; t++) store.records.appendEvents([event(t)])
    await store.committed()
    expect(proxy.dropped).toBe(1)
    const ts = (await store.records.queryEvents({ station: 's1', limit: 100 })).map((e) => e.t)
    expect(ts).toEqual([5, 4, 3, 2, 1])
  })

  test('a write the server refuses stops the store: committed() rejects and onFailure is told', async () => {
    const url = await pg.database()
    const failures: Error[] = []
    const store = await open(url, { onFailure: (err) => failures.push(err) })
    await pg.postgres.query('ALTER TABLE rejects ADD CONSTRAINT short_reason CHECK (length(reason) < 10)', [], dbName(url))
    store.records.appendReject({ t: 1, device: 'd1', topic: 'x', reason: 'a reason that is far too long' })
    await expect(store.committed()).rejects.toThrow(/PostgreSQL commit failed.*short_reason/)
    expect(failures).toHaveLength(1)
    expect(store.health().ok).toBe(false)
  })

  test('a snapshot that cannot be built when the batch is cut stops the store rather than crashing the process', async () => {
    const url = await pg.database()
    const failures: Error[] = []
    const store = await open(url, { onFailure: (err) => failures.push(err) })
    store.records.saveSnapshot('s1', () => {
      throw new Error('live state unavailable')
    })
    await expect(store.committed()).rejects.toThrow(/could not be built: live state unavailable/)
    expect(failures).toHaveLength(1)
  })

  test('text a device sent with NUL bytes is stored (PostgreSQL text cannot hold NUL), not a failed commit', async () => {
    const url = await pg.database()
    const store = await open(url)
    store.records.appendReject({ t: 1, device: 'd\u00001', topic: 'stations/s1/devices/d1/state', reason: 'bad\0json' })
    store.records.saveSnapshot('s1', () => ({ doors: { main: { open: true, since: 1, note: 'x\0y' } } }) as never)
    await store.committed()
    expect((await store.records.queryRejects(1))[0]).toMatchObject({ device: 'd\uFFFD1', reason: 'bad\uFFFDjson' })
    expect(JSON.stringify((await store.records.loadSnapshots()).get('s1'))).toContain('x\uFFFDy')
  })
})

/**
 * A TCP proxy to PostgreSQL that, once armed, forwards the next COMMIT to the server but cuts the
 * client's connection before the server's answer reaches it: the commit happened, the client
 * cannot know.
 */
async function answerDropper(upstreamPort: number) {
  const sockets = new Set<Socket>()
  const state = { armed: false, dropped: 0 }
  const server = createServer((client) => {
    const up = createConnection({ host: '127.0.0.1', port: upstreamPort })
    sockets.add(client).add(up)
    let cut = false
    client.on('data', (chunk: Buffer) => {
      up.write(chunk)
      if (state.armed && chunk.includes('COMMIT')) {
        state.armed = false
        cut = true
        state.dropped++
        // Long enough for the server to commit; its answer is never passed on.
        setTimeout(() => (client.destroy(), up.destroy()), 300)
      }
    })
    up.on('data', (chunk: Buffer) => {
      if (!cut) client.write(chunk)
    })
    client.on('error', () => up.destroy())
    up.on('error', () => client.destroy())
    client.on('close', () => up.destroy())
    up.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return Object.assign(state, {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise((r) => server.close(r))
    },
  })
}
