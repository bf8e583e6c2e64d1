import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchWriter } from '../../../src/adapters/embedded/batch-writer.ts'
import { openDatabase } from '../../../src/adapters/embedded/database.ts'
import { SqliteNotificationLog } from '../../../src/adapters/embedded/notification-log.ts'
import type { Notifier } from '../../../src/notify/notifier.ts'
import { MemoryDeliveryLog, type Delivery, type DeliveryLog } from '../../../src/notify/ports.ts'
import type { NotifyAlert } from '../../../src/notify/render.ts'
import { waitFor, type Answer, type SeenRequest } from '../../helpers/vendor-stand-in.ts'
import { FRIDAY_10, NotifierRig, ok, smsOk } from './notifier-rig.ts'

/**
 * Cluster mode: two notifiers (two instances) over one delivery log, each sending only for the
 * stations it owns; a station's escalation handed from one to the other by release + adopt. The
 * point: every step goes out once, at its time, whoever owns the station then.
 */
const SETTLE = 5_000

const file = ({ wecom, sms }: { wecom: string; sms: string }) => ({
  publicUrl: 'http://station.test',
  channels: {
    group: { type: 'wecom', url: wecom },
    sms: { type: 'sms-aliyun', accessKeyId: 'AK', accessKeySecret: 'SK', signName: '新华', templateCode: 'SMS_1', endpoint: sms },
  },
  people: [
    { id: 'zhang', name: '张三', phone: '+8613800000001' },
    { id: 'wang', name: '王五', phone: '+8613800000003' },
  ],
  onCall: [{ stations: ['*'], days: 'daily', from: '00:00', to: '00:00', people: ['zhang'] }],
  routes: [
    {
      stations: ['*'],
      severities: ['critical'],
      steps: [
        { afterSeconds: 0, channels: ['group'] },
        { afterSeconds: 30, channels: ['sms'], to: 'on-call' },
        { afterSeconds: 45, channels: ['sms'], to: ['wang'] },
      ],
    },
  ],
})

interface Instance {
  name: string
  notifier: Notifier
  owned: Set<string>
}

let rig: NotifierRig | undefined
let instances: Instance[] = []
let rows: (Delivery & { by: string })[] = []
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(instances.map((i) => i.notifier.stop()))
  await rig?.close()
  for (const c of cleanups.splice(0)) await c()
  rig = undefined
  instances = []
  rows = []
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

/** The stand-ins and the clock; its own notifier owns nothing and stays idle. */
async function stage(log: DeliveryLog, answers: { wecom?: (r: SeenRequest, n: number) => Answer; sms?: (r: SeenRequest, n: number) => Answer } = {}): Promise<NotifierRig> {
  rig = await new NotifierRig(file, FRIDAY_10, { wecom: answers.wecom ?? ok, sms: answers.sms ?? smsOk }).start(log, undefined, { owns: () => false })
  return rig
}

/** One instance's notifier over the shared log, owning `owned` from its start. */
async function instance(log: DeliveryLog, name: string, owned: string[]): Promise<Instance> {
  const set = new Set(owned)
  const notifier = rig!.build(log, undefined, { owns: (s) => set.has(s), handOverSettleMs: SETTLE, onDelivery: (d) => rows.push({ ...d, by: name }) })
  const i = { name, notifier, owned: set }
  instances.push(i)
  await notifier.start()
  return i
}

/** As the cluster's Ownership does: the loser releases at once, then the winner adopts. */
async function handOver(station: string, from: Instance, to: Instance): Promise<void> {
  from.owned.delete(station)
  from.notifier.release(station)
  to.owned.add(station)
  await to.notifier.adopt(station)
}

/** Moves the fake clock in steps; after each, lets the delivery log's reads answer and every request end. */
async function advance(ms: number, stepMs = 1000): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    rig!.time.advance(Math.min(stepMs, left))
    await settle()
  }
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 5))
  await Promise.all([rig!.notifier, ...instances.map((i) => i.notifier)].map((n) => n.idle()))
}

let seq = 0
function opened(station = 'xinhua'): NotifyAlert {
  return { id: `al-h${++seq}`, station, rule: 'door-forced', subject: 'door:main', severity: 'critical', state: 'active', message: '正门被强行打开', openedAt: rig!.time.now(), escalated: false }
}

/** Who sent what: [instance, alert, firing, channel, person] of every `sent` row. */
const sent = () => rows.filter((r) => r.status === 'sent').map((r) => [r.by, r.alertId, r.firing, r.channel, r.to])
const phones = () => rig!.sms.requests.map((q) => q.query.get('PhoneNumbers'))

describe.each([
  ['memory', () => new MemoryDeliveryLog() as DeliveryLog],
  ['sqlite', sqliteLog],
])('notifiers of two instances over one delivery log (%s)', (_name, makeLog) => {
  it('at start each restores only the plans of the stations it owns; the others stay in the log until adopted', async () => {
    const log = makeLog()
    await stage(log)
    // An earlier run that owned both stations left two pending plans.
    const earlier = await instance(log, 'earlier', ['xinhua', 's1'])
    const x = opened('xinhua')
    const y = opened('s1')
    earlier.notifier.handleAlertChange(x, 'opened')
    earlier.notifier.handleAlertChange(y, 'opened')
    await advance(10_000)
    expect(rig!.wecom.requests).toHaveLength(2)
    await earlier.notifier.stop()

    const b = await instance(log, 'b', ['s1'])
    await advance(20_000)
    expect(sent().filter(([by]) => by === 'b')).toEqual([['b', y.id, 1, 'sms', 'zhang']])
    expect((await log.pendingPlans()).map((p) => p.alert.id).sort()).toEqual([x.id, y.id].sort())

    // Adopted later: its step 1, due meanwhile, fires then; its step 0 (sent) is not sent again.
    await handOver('xinhua', earlier, b)
    await advance(SETTLE + 1000)
    expect(sent().filter(([by]) => by === 'b')).toEqual([
      ['b', y.id, 1, 'sms', 'zhang'],
      ['b', x.id, 1, 'sms', 'zhang'],
    ])
    expect(rig!.wecom.requests).toHaveLength(2)
  })

  it('after a hand-over the adopter sends the next steps at their times, once; the releaser sends nothing more', async () => {
    const log = makeLog()
    await stage(log)
    const a = await instance(log, 'a', ['xinhua'])
    const b = await instance(log, 'b', [])
    const alert = opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await advance(10_000)
    await handOver('xinhua', a, b)
    await advance(19_000)
    expect(phones()).toEqual([])
    await advance(1000)
    expect(phones()).toEqual(['+8613800000001'])
    await advance(15_000)
    expect(phones()).toEqual(['+8613800000001', '+8613800000003'])
    await advance(120_000, 10_000)
    expect(sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['b', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
    expect(rig!.wecom.requests).toHaveLength(1)
  })

  it('a request in flight on the releaser is recorded there, and the adopter does not send it again', async () => {
    const log = makeLog()
    // The SMS vendor answers step 1 only after the hand-over.
    await stage(log, { sms: (_r, n) => ({ ...smsOk(), ...(n === 1 ? { delayMs: 300 } : {}) }) })
    const a = await instance(log, 'a', ['xinhua'])
    const b = await instance(log, 'b', [])
    const alert = opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await advance(29_000)
    rig!.time.advance(1000)
    await waitFor(() => rig!.sms.requests.length === 1, 'step 1 in flight')
    await handOver('xinhua', a, b)
    // What the adopter read: step 1 not (yet) sent. Sending that at once would send it twice.
    expect((await log.forAlert(alert.id)).filter((d) => d.firing === 1)).toEqual([])
    await a.notifier.idle()
    expect(sent()).toContainEqual(['a', alert.id, 1, 'sms', 'zhang'])
    await advance(SETTLE + 1000)
    expect(phones()).toEqual(['+8613800000001'])
    await advance(15_000)
    expect(phones()).toEqual(['+8613800000001', '+8613800000003'])
    expect(sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['a', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
    // Resolved through the releaser (which heard of its late send): the owner announces it, alone.
    const resolved: NotifyAlert = { ...alert, state: 'resolved', resolvedAt: rig!.time.now(), resolvedBy: 'zhang' }
    a.notifier.handleAlertChange(resolved, 'resolved', 'zhang')
    b.notifier.follow(resolved)
    await advance(1000)
    expect(rig!.wecom.requests).toHaveLength(2)
    expect(rows.filter((r) => r.firing === -1).map((r) => [r.by, r.status])).toEqual([['b', 'sent']])
  })

  it('a message the releaser had queued but not sent (between retries) is sent by the adopter after the settle time, once', async () => {
    const log = makeLog()
    await stage(log, { sms: (_r, n) => (n === 1 ? { json: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: 'busy', RequestId: 'r' } } : smsOk()) })
    const a = await instance(log, 'a', ['xinhua'])
    const b = await instance(log, 'b', [])
    const alert = opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await advance(30_000)
    expect(rows.filter((r) => r.status === 'failed').map((r) => [r.by, r.firing])).toEqual([['a', 1]])
    await handOver('xinhua', a, b)
    await advance(SETTLE - 1000)
    expect(phones()).toHaveLength(1) // the releaser's retry is gone; the adopter still waits
    await advance(2000)
    expect(phones()).toEqual(['+8613800000001', '+8613800000001'])
    await advance(60_000, 5000)
    expect(sent()).toEqual([
      ['a', alert.id, 0, 'group', undefined],
      ['b', alert.id, 1, 'sms', 'zhang'],
      ['b', alert.id, 2, 'sms', 'wang'],
    ])
  })

  it('a change made on an instance that does not own the station is left to the owner, which follows it', async () => {
    const log = makeLog()
    await stage(log)
    const a = await instance(log, 'a', ['xinhua'])
    const b = await instance(log, 'b', [])
    const alert = opened()
    a.notifier.handleAlertChange(alert, 'opened')
    await advance(10_000)
    const acked: NotifyAlert = { ...alert, state: 'acknowledged', ackedAt: rig!.time.now(), ackedBy: 'zhang' }
    b.notifier.handleAlertChange(acked, 'acknowledged', 'zhang')
    expect((await log.pendingPlans()).map((p) => p.alert.id)).toEqual([alert.id])
    a.notifier.follow(acked)
    await advance(60_000, 5000)
    expect(phones()).toEqual([])
    expect(await log.pendingPlans()).toEqual([])
    a.notifier.follow({ ...acked, state: 'resolved', resolvedAt: rig!.time.now(), resolvedBy: 'zhang' })
    await advance(1000)
    expect(rig!.wecom.requests).toHaveLength(2)
    expect(String(rig!.wecom.requests[1]!.body.markdown.content)).toContain('zhang')
    expect(rows.map((r) => r.by)).not.toContain('b')
  })
})
