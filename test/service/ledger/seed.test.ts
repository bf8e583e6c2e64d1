import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeTime } from '../../helpers/fake-time.ts'
import { startTestService, type TestService } from '../../helpers/service.ts'
import { tempDir } from '../../helpers/station-fixture.ts'

const ROOT = new URL('../../../', import.meta.url).pathname

describe('the demo station ships with a realistic ledger (LEDGER_SEED, as `npm run demo` sets it)', () => {
  let t: TestService
  const time = new FakeTime(Date.parse('2026-12-04T02:00:00Z'))
  const xinhua = { id: 'xinhua', secrets: {}, json: JSON.parse(readFileSync(join(ROOT, 'config/stations/xinhua.json'), 'utf8')) }
  const ledger = async () => (await t.api('/api/stations/xinhua/ledger')).body as any[]

  beforeAll(async () => {
    t = await startTestService({ stations: [xinhua], clock: time, timers: time, env: { LEDGER_SEED: join(ROOT, 'config/ledger') } })
  })
  afterAll(() => t?.stop())

  it('stocks all 34 supplies and the professional equipment, some expiring soon and one batch already expired', async () => {
    const items = await ledger()
    const supplies = items.filter((i) => i.kind === 'supply')
    expect(supplies).toHaveLength(34)
    for (const i of items) expect(i.quantity, i.itemId).toBeGreaterThan(0)
    const states = items.flatMap((i) => i.batches.map((b: any) => b.state))
    expect(states.filter((s) => s === 'expiring').length).toBeGreaterThanOrEqual(5)
    expect(states.filter((s) => s === 'expired')).toHaveLength(1)
    const open = (await t.api('/api/alerts?station=xinhua&state=active')).body as any[]
    expect(open.filter((a) => a.rule === 'expiring').length).toBeGreaterThanOrEqual(5)
    expect(open.filter((a) => a.rule === 'expired')).toHaveLength(1)
    // the opening stock is on record, as receipts of the seed, dated when they were received
    const moves = (await t.api('/api/stations/xinhua/ledger/movements')).body as any[]
    expect(moves.every((m) => m.kind === 'receipt' && m.by === 'seed')).toBe(true)
    expect(Math.min(...moves.map((m) => m.t))).toBeLessThan(time.now() - 365 * 86_400_000)
  })

  it('is applied once: a restart, or a ledger with history, is never seeded again', async () => {
    const before = await ledger()
    await t.restart()
    expect(await ledger()).toEqual(before)
  })

  it('refuses a seed naming an unknown item, at start-up', async () => {
    const dir = tempDir('sw-seed-')
    writeFileSync(join(dir, 'xinhua.json'), JSON.stringify({ station: 'xinhua', batches: [{ itemId: 'unicorns', quantity: 1 }] }))
    await expect(startTestService({ stations: [xinhua], env: { LEDGER_SEED: dir } })).rejects.toThrow(/LEDGER_SEED xinhua: .*unicorns/)
  })
})
