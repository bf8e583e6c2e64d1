import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchWriter } from '../../../src/adapters/embedded/batch-writer.ts'
import { openDatabase } from '../../../src/adapters/embedded/database.ts'
import { SqliteNotificationLog } from '../../../src/adapters/embedded/notification-log.ts'
import { MemoryDeliveryLog, type DeliveryLog } from '../../../src/notify/ports.ts'
import type { NotifyAlert } from '../../../src/notify/render.ts'
import { waitFor } from '../../helpers/vendor-stand-in.ts'
import { HandOverRig, SETTLE, type Answers } from './handover-rig.ts'
import { smsOk } from './notifier-rig.ts'

/**
 * Cluster mode: two notifiers (two instances) over one delivery log, each sending only for the
 * stations it owns; a station's escalation handed from one to the other by release + adopt. The
 * point: every step goes out once, at its time, whoever owns the station then. The PostgreSQL
 * twin (two stores on one database) is test/ports/postgres-notify-handover.test.ts.
 */
let staged: HandOverRig | undefined
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await staged?.close()
  staged = undefined
  for (const c of cleanups.splice(0)) await c()
})

function sqliteLog(): DeliveryLog {
  const dir = mkdtempSync(join(tmpdir(), 'notify-handover-'))
  const db = openDatabase(dir)
  const writer = new BatchWriter(db)
  cleanups.push(async () => {
    await writer.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return new SqliteNotificationLog(db, writer)
}

async function stage(log: DeliveryLog, answers: Answers = {}): Promise<HandOverRig> {
  return (staged = await HandOverRig.stage(log, answers))
}

describe.each([
  ['memory', () => new MemoryDeliveryLog() as DeliveryLog],
  ['sqlite', sqliteLog],
])('notifiers of two instances over one delivery log (%s)', (_name, makeLog) => {
  it('at start each restores only the plans of the stations it owns; the others stay in the log until adopted', async () => {
    const log = makeLog()
    const h = await stage(log)
    // An earlier run that owned both stations left two pending plans.
    const earlier = await h.instance(log, 'earlier', ['xinhua', 's1'])
    const x = h.opened('xinhua')
    const y = h.opened('s1')
    earlier.notifier.handleAlertChange(x, 'opened')
    earlier.notifier.handleAlertChange(y, 'opened')
    await h.advance(10_000)
    expect(h.rig.wecom.requests).toHaveLength(2)
    await earlier.notifier.stop()

    const b = await h.instance(log, 'b', ['s1'])
    await h.advance(20_000)
    expect(h.sent().filter(([by]) => by === 'b')).toEqual([['b', y.id, 1, 'sms', 'zhang']])
    expect((await log.pendingPlans()).map((p) => p.alert.id).sort()).toEqual([x.id, y.id].sort())

    // Adopted later: its step 1, due meanwhile, fires then; its step 0 (sent) is not sent again.
    await h.handOver('xinhua', earlier, b)
    await h.advance(SETTLE + 1000)
    expect(h.sent().filter(([by]) => by === 'b')).toEqual([
      ['b', y.id, 1, 'sms', 'zhang'],
      ['b', x.id, 1, 'sms', 'zhang'],
    ])
    expect(h.rig.wecom.requests).toHaveLength(2)
  })

  it('after a hand-over the adopter sends the next steps at their times, once; the releaser sends nothing more', async () => {
    const log = makeLog()
    const h = await stage(log)
    const a = await h.instance(log, 'a', ['xinhua'])
    const b = await h.instance(log, 'b', [])
    const alert = h.opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await h.advance(10_000)
    await h.handOver('xinhua', a, b)
    await h.advance(19_000)
    expect(h.phones()).toEqual([])
    await h.advance(1000)
    expect(h.phones()).toEqual(['+8613800000001'])
    await h.advance(15_000)
    expect(h.phones()).toEqual(['+8613800000001', '+8613800000003'])
    await h.advance(120_000, 10_000)
    expect(h.sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['b', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
    expect(h.rig.wecom.requests).toHaveLength(1)
  })

  it('a request in flight on the releaser is recorded there, and the adopter does not send it again', async () => {
    const log = makeLog()
    // The SMS vendor answers step 1 only after the hand-over.
    const h = await stage(log, { sms: (_r, n) => ({ ...smsOk(), ...(n === 1 ? { delayMs: 300 } : {}) }) })
    const a = await h.instance(log, 'a', ['xinhua'])
    const b = await h.instance(log, 'b', [])
    const alert = h.opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await h.advance(29_000)
    h.time.advance(1000)
    await waitFor(() => h.rig.sms.requests.length === 1, 'step 1 in flight')
    await h.handOver('xinhua', a, b)
    // What the adopter read: step 1 not (yet) sent. Sending that at once would send it twice.
    expect((await log.forAlert(alert.id)).filter((d) => d.firing === 1)).toEqual([])
    await a.notifier.idle()
    expect(h.sent()).toContainEqual(['a', alert.id, 1, 'sms', 'zhang'])
    await h.advance(SETTLE + 1000)
    expect(h.phones()).toEqual(['+8613800000001'])
    await h.advance(15_000)
    expect(h.phones()).toEqual(['+8613800000001', '+8613800000003'])
    expect(h.sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['a', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
    // Resolved through the releaser (which heard of its late send): the owner announces it, alone.
    const resolved: NotifyAlert = { ...alert, state: 'resolved', resolvedAt: h.time.now(), resolvedBy: 'zhang' }
    a.notifier.handleAlertChange(resolved, 'resolved', 'zhang')
    b.notifier.follow(resolved)
    await h.advance(1000)
    expect(h.rig.wecom.requests).toHaveLength(2)
    expect(h.rows.filter((r) => r.firing === -1).map((r) => [r.by, r.status])).toEqual([['b', 'sent']])
  })

  it('a message the releaser had queued but not sent (between retries) is sent by the adopter after the settle time, once', async () => {
    const log = makeLog()
    const h = await stage(log, { sms: (_r, n) => (n === 1 ? { json: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: 'busy', RequestId: 'r' } } : smsOk()) })
    const a = await h.instance(log, 'a', ['xinhua'])
    const b = await h.instance(log, 'b', [])
    const alert = h.opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await h.advance(30_000)
    expect(h.rows.filter((r) => r.status === 'failed').map((r) => [r.by, r.firing])).toEqual([['a', 1]])
    await h.handOver('xinhua', a, b)
    await h.advance(SETTLE - 1000)
    expect(h.phones()).toHaveLength(1) // the releaser's retry is gone; the adopter still waits
    await h.advance(2000)
    expect(h.phones()).toEqual(['+8613800000001', '+8613800000001'])
    await h.advance(60_000, 5000)
    expect(h.sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['b', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
  })

  it('the last step of a route, waiting for a retry on the releaser, is sent by the adopter', async () => {
    const log = makeLog()
    const h = await stage(log, { sms: (_r, n) => (n === 2 ? { json: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: 'busy', RequestId: 'r' } } : smsOk()) })
    const a = await h.instance(log, 'a', ['xinhua'])
    const b = await h.instance(log, 'b', [])
    const alert = h.opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await h.advance(45_000)
    expect(h.phones()).toEqual(['+8613800000001', '+8613800000003'])
    await h.handOver('xinhua', a, b)
    await h.advance(SETTLE - 1000)
    expect(h.phones()).toHaveLength(2)
    await h.advance(2000)
    await h.advance(60_000, 10_000)
    expect(h.phones()).toEqual(['+8613800000001', '+8613800000003', '+8613800000003'])
    expect(h.sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['a', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
    // Finished, its plan stays in the log until the alert is acknowledged or resolved.
    expect((await log.pendingPlans()).map((p) => [p.next, p.finished])).toEqual([[3, true]])
    b.notifier.handleAlertChange({ ...alert, state: 'acknowledged', ackedAt: h.time.now(), ackedBy: 'zhang' }, 'acknowledged', 'zhang')
    expect(await log.pendingPlans()).toEqual([])
  })

  it('a change made on an instance that does not own the station is left to the owner, which follows it', async () => {
    const log = makeLog()
    const h = await stage(log)
    const a = await h.instance(log, 'a', ['xinhua'])
    const b = await h.instance(log, 'b', [])
    const alert = h.opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await h.advance(10_000)
    const acked: NotifyAlert = { ...alert, state: 'acknowledged', ackedAt: h.time.now(), ackedBy: 'zhang' }
    b.notifier.handleAlertChange(acked, 'acknowledged', 'zhang')
    expect((await log.pendingPlans()).map((p) => p.alert.id)).toEqual([alert.id])
    a.notifier.follow(acked)
    await h.advance(60_000, 5000)
    expect(h.phones()).toEqual([])
    expect(await log.pendingPlans()).toEqual([])
    a.notifier.follow({ ...acked, state: 'resolved', resolvedAt: h.time.now(), resolvedBy: 'zhang' })
    await h.advance(1000)
    expect(h.rig.wecom.requests).toHaveLength(2)
    expect(String(h.rig.wecom.requests[1]!.body.markdown.content)).toContain('zhang')
    expect(h.rows.map((r) => r.by)).not.toContain('b')
  })
})
