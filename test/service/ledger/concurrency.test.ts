import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/adapters/embedded/database.ts'
import { EmbeddedLedgerStore } from '../../../src/adapters/embedded/ledger-store.ts'
import { createUser, startTestService, type TestService } from '../../helpers/service.ts'
import { tempDir } from '../../helpers/station-fixture.ts'
import { ledgerItem, ledgerStation, receipt } from './ledger-fixture.ts'

const run = promisify(execFile)

describe('concurrent issues of the last units: one wins, nothing goes negative', () => {
  let t: TestService
  let staff: string
  const issue = (quantity: number, token: string) => t.api(`/api/stations/${t.station.id}/ledger/issues`, { method: 'POST', body: { itemId: 'flashlights', quantity, reason: 'use' }, token })

  beforeAll(async () => {
    t = await startTestService({ stations: [ledgerStation()] })
    staff = await createUser(t, 'stan', 'staff')
  })
  afterAll(() => t?.stop())

  it('two requests for the last two units at once: one is served, the other gets 409', async () => {
    await receipt(t, { itemId: 'flashlights', quantity: 2, expiresOn: '2099-01-01' })
    const [a, b] = await Promise.all([issue(2, t.token), issue(2, staff)])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    expect(await ledgerItem(t, 'flashlights')).toMatchObject({ quantity: 0, usable: 0, batches: [] })
  })

  it('twenty requests for one unit each on five units: exactly five are served', async () => {
    await receipt(t, { itemId: 'flashlights', quantity: 5 })
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => issue(1, i % 2 ? staff : t.token)))
    expect(answers.filter((r) => r.status === 200)).toHaveLength(5)
    expect(answers.filter((r) => r.status === 409)).toHaveLength(15)
    expect((await ledgerItem(t, 'flashlights')).quantity).toBe(0)
    const issued = (await t.api(`/api/stations/${t.station.id}/ledger/movements`)).body.filter((m: any) => m.kind === 'issue')
    expect(issued.reduce((n: number, m: any) => n + m.quantity, 0)).toBe(7)
  })
})

describe('two processes on one ledger file', () => {
  const dataDir = tempDir('sw-ledger-procs-')
  const station = ledgerStation('procstation')

  it('issue the same stock one unit at a time: together exactly what was held, never below zero', async () => {
    const db = openDatabase(dataDir)
    const store = new EmbeddedLedgerStore(db)
    const held = 60
    await store.transact(
      station.id,
      () => ({ batches: [{ id: 'b1', itemId: 'flashlights', quantity: held, receivedAt: Date.now() }], movements: [], result: null }),
      () => { throw new Error('no movements here') },
    )
    const worker = new URL('./issue-worker.ts', import.meta.url).pathname
    const args = (who: string) => ['--import', 'tsx', worker, dataDir, JSON.stringify(station.json), '50', who]
    const results = await Promise.all(['p1', 'p2'].map((who) => run(process.execPath, args(who), { timeout: 60_000 }).then((r) => JSON.parse(r.stdout) as { won: number; refused: number })))
    expect(results.reduce((n, r) => n + r.won, 0)).toBe(held)
    expect(results.reduce((n, r) => n + r.refused, 0)).toBe(100 - held)
    expect(await store.batches(station.id, true)).toEqual([expect.objectContaining({ id: 'b1', quantity: 0 })])
    const moves = await store.movements({ station: station.id, limit: 1000 })
    expect(moves).toHaveLength(held)
    expect(new Set(moves.map((m) => m.by))).toEqual(new Set(['p1', 'p2']))
    const events = db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'ledger-issue' AND station = ?").get(station.id) as { n: number }
    expect(events.n).toBe(held)
    db.close()
  }, 90_000)
})
