import { afterEach, expect, it } from 'vitest'
import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import { escalationFile, NotifierRig } from '../unit/notify/notifier-rig.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'

/**
 * The notifier's escalation over the PostgreSQL delivery log, across a restart of the store (a
 * new pool on the same database, as another instance taking over would have): the schedule is
 * kept, what fell due meanwhile fires once, nothing is sent twice. The SQLite log's twin tests are
 * in delivery-log.contract.test.ts.
 */

describeWithPostgres('a restart over the PostgreSQL delivery log', () => {
  const pg = usePostgres()
  let rig: NotifierRig | undefined
  let store: PostgresStateStore | undefined
  afterEach(async () => {
    await rig?.close()
    await store?.stop()
    rig = store = undefined
  })

  /** Stops the notifier and the store, opens a new store on the same database and a new notifier over it. */
  async function restart(url: string, downMs = 0): Promise<void> {
    await rig!.notifier.stop()
    await store!.stop()
    store = await PostgresStateStore.open({ url })
    rig!.time.advance(downMs)
    await rig!.start(store.deliveries)
  }

  it('keeps the schedule: a pending step still fires at its time, and nothing is sent twice', async () => {
    const url = await pg.database()
    store = await PostgresStateStore.open({ url })
    rig = await new NotifierRig(escalationFile).start(store.deliveries)
    rig.open()
    await rig.advance(10_000)
    expect(rig.wecom.requests).toHaveLength(1)
    await restart(url)
    await rig.advance(19_000)
    expect(rig.wecom.requests).toHaveLength(1)
    expect(rig.sms.requests).toHaveLength(0)
    await rig.advance(1000)
    expect(rig.sms.requests.map((q) => q.query.get('PhoneNumbers'))).toEqual(['+8613800000001'])
    await restart(url)
    await rig.advance(60_000)
    expect(rig.sms.requests.map((q) => q.query.get('PhoneNumbers'))).toEqual(['+8613800000001', '+8613800000003'])
    expect(rig.wecom.requests).toHaveLength(1)
  })

  it('steps that fell due while the service was down fire at start, once each', async () => {
    const url = await pg.database()
    store = await PostgresStateStore.open({ url })
    rig = await new NotifierRig(escalationFile).start(store.deliveries)
    const a = rig.open()
    await rig.advance(10_000)
    await restart(url, 40_000)
    await rig.advance(0)
    expect(rig.sms.requests.map((q) => q.query.get('PhoneNumbers'))).toEqual(['+8613800000001', '+8613800000003'])
    await rig.advance(120_000, 10_000)
    expect(rig.sms.requests).toHaveLength(2)
    expect((await rig.notifier.notificationsFor(a.id)).map((d) => [d.step, d.status])).toEqual([
      [0, 'sent'],
      [1, 'sent'],
      [2, 'sent'],
    ])
  })
})
