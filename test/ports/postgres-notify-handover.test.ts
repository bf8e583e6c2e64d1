import { afterEach, expect, it } from 'vitest'
import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'
import { waitFor } from '../helpers/vendor-stand-in.ts'
import { HandOverRig, SETTLE } from '../unit/notify/handover-rig.ts'
import { smsOk } from '../unit/notify/notifier-rig.ts'

/**
 * The hand-over of a station's escalation between two instances as in a cluster: each instance
 * has its own PostgresStateStore (its own pool and group writer) on the one database, so one
 * sees the other's deliveries only once they are committed. The in-memory and SQLite twins are in
 * test/unit/notify/notifier-handover.test.ts.
 */
describeWithPostgres('notifiers of two instances over one PostgreSQL delivery log', () => {
  const pg = usePostgres()
  let h: HandOverRig | undefined
  const stores: PostgresStateStore[] = []
  afterEach(async () => {
    await h?.close()
    h = undefined
    await Promise.all(stores.splice(0).map((s) => s.stop()))
  })

  async function twoStores(): Promise<[PostgresStateStore, PostgresStateStore]> {
    const url = await pg.database()
    const a = await PostgresStateStore.open({ url })
    stores.push(a)
    const b = await PostgresStateStore.open({ url })
    stores.push(b)
    return [a, b]
  }

  it('the adopter sends the next steps once at their times; a send in flight on the releaser is not sent again', async () => {
    const [storeA, storeB] = await twoStores()
    h = await HandOverRig.stage(storeA.deliveries, { sms: (_r, n) => ({ ...smsOk(), ...(n === 1 ? { delayMs: 300 } : {}) }) }, 30)
    const a = await h.instance(storeA.deliveries, 'a', ['xinhua'])
    const b = await h.instance(storeB.deliveries, 'b', [])
    const alert = h.opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await h.advance(29_000)
    h.time.advance(1000)
    await waitFor(() => h!.rig.sms.requests.length === 1, 'step 1 in flight')
    await storeA.committed()
    await h.handOver('xinhua', a, b)
    expect((await storeB.deliveries.forAlert(alert.id)).filter((d) => d.firing === 1)).toEqual([])
    await a.notifier.idle()
    await storeA.committed()
    await h.advance(SETTLE + 1000)
    expect(h.phones()).toEqual(['+8613800000001'])
    await h.advance(15_000)
    expect(h.phones()).toEqual(['+8613800000001', '+8613800000003'])
    await h.advance(120_000, 10_000)
    expect(h.sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['a', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
    expect(h.rig.wecom.requests).toHaveLength(1)
  })

  it('each restores only its own stations at start; a station released by a stopped instance is adopted with its schedule', async () => {
    const [storeA, storeB] = await twoStores()
    h = await HandOverRig.stage(storeA.deliveries, {}, 30)
    const a = await h.instance(storeA.deliveries, 'a', ['xinhua', 's1'])
    const x = h.opened('xinhua')
    const y = h.opened('s1')
    a.notifier.handleAlertChange(x, 'opened')
    a.notifier.handleAlertChange(y, 'opened')
    await h.advance(10_000)
    await storeA.committed()
    // b starts owning s1 only (a still has xinhua); then a stops and b adopts xinhua.
    a.owned.delete('s1')
    a.notifier.release('s1')
    const b = await h.instance(storeB.deliveries, 'b', ['s1'])
    await h.advance(20_000)
    await h.handOver('xinhua', a, b)
    await a.notifier.stop()
    await h.advance(SETTLE + 20_000)
    // Both step 1s fall due at 30 s, on different instances: in either order.
    const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort()
    expect(sorted(h.sent())).toEqual(
      sorted([
        ['a', x.id, 0, 'group', undefined],
        ['a', y.id, 0, 'group', undefined],
        ['b', y.id, 1, 'sms', 'zhang'],
        ['a', x.id, 1, 'sms', 'zhang'],
        ['b', y.id, 2, 'sms', 'wang'],
        ['b', x.id, 2, 'sms', 'wang'],
      ]),
    )
  })
})
