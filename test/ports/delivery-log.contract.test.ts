import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchWriter } from '../../src/adapters/embedded/batch-writer.ts'
import { openDatabase, type Db } from '../../src/adapters/embedded/database.ts'
import { SqliteNotificationLog } from '../../src/adapters/embedded/notification-log.ts'
import { MemoryDeliveryLog, type DeliveryLog, type PlanState } from '../../src/notify/ports.ts'
import { escalationFile, NotifierRig } from '../unit/notify/notifier-rig.ts'

/** An SQLite log in a temp dir that can be closed and opened again on the same file. */
class SqliteHandle {
  readonly dir = mkdtempSync(join(tmpdir(), 'notify-log-'))
  db!: Db
  writer!: BatchWriter
  log!: SqliteNotificationLog
  constructor() {
    this.open()
  }
  open(): SqliteNotificationLog {
    this.db = openDatabase(this.dir)
    this.writer = new BatchWriter(this.db)
    this.log = new SqliteNotificationLog(this.db, this.writer)
    return this.log
  }
  async close(): Promise<void> {
    await this.writer.close()
    this.db.close()
  }
  async reopen(): Promise<SqliteNotificationLog> {
    await this.close()
    return this.open()
  }
  async destroy(): Promise<void> {
    await this.close().catch(() => undefined)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const handles: SqliteHandle[] = []
let rig: NotifierRig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
  await Promise.all(handles.splice(0).map((h) => h.destroy()))
})
const sqlite = () => {
  const h = new SqliteHandle()
  handles.push(h)
  return h
}

const plan = (id: string, next: number): PlanState => ({
  alert: { id, station: 'xinhua', rule: 'door-forced', subject: 'door:main', severity: 'critical', state: 'active', message: 'm', openedAt: 1000, escalated: false, drill: true },
  route: 0,
  next,
  dueAt: 1000 + next * 30_000,
})

describe.each([
  ['memory', () => new MemoryDeliveryLog() as DeliveryLog],
  ['sqlite', () => sqlite().log as DeliveryLog],
])('delivery log (%s)', (_name, make) => {
  it('keeps every delivery of an alert, in time order, with its fields', async () => {
    const log = make()
    log.record({ alertId: 'a', at: 2, step: 1, firing: 1, channel: 'sms', to: 'zhang', status: 'failed', error: 'timed out' })
    log.record({ alertId: 'b', at: 1, step: 0, firing: 0, channel: 'group', status: 'sent' })
    log.record({ alertId: 'a', at: 3, step: 1, firing: 1, channel: 'sms', to: 'zhang', status: 'sent' })
    expect(await log.forAlert('a')).toEqual([
      { alertId: 'a', at: 2, step: 1, firing: 1, channel: 'sms', to: 'zhang', status: 'failed', error: 'timed out' },
      { alertId: 'a', at: 3, step: 1, firing: 1, channel: 'sms', to: 'zhang', status: 'sent' },
    ])
    expect(await log.forAlert('none')).toEqual([])
  })

  it('keeps the latest state of each plan until it is dropped', async () => {
    const log = make()
    log.savePlan(plan('a', 0))
    log.savePlan(plan('b', 0))
    log.savePlan(plan('a', 2))
    log.dropPlan('b')
    expect(await log.pendingPlans()).toEqual([plan('a', 2)])
  })
})

describe('SQLite delivery log across a restart', () => {
  it('keeps deliveries and plans when the file is opened again', async () => {
    const h = sqlite()
    h.log.record({ alertId: 'a', at: 5, step: 0, firing: 0, channel: 'group', status: 'sent' })
    h.log.savePlan(plan('a', 1))
    h.log.savePlan(plan('c', 0))
    h.log.dropPlan('c')
    const again = await h.reopen()
    expect(await again.forAlert('a')).toEqual([{ alertId: 'a', at: 5, step: 0, firing: 0, channel: 'group', status: 'sent' }])
    expect(await again.pendingPlans()).toEqual([plan('a', 1)])
  })
})


/** Stops the rig's notifier and starts a new one over the same SQLite file, on the same clock. */
async function restart(r: NotifierRig, h: SqliteHandle, downMs = 0): Promise<void> {
  await r.notifier.stop()
  const log = await h.reopen()
  r.time.advance(downMs)
  await r.start(log)
}

describe('a restart (new Notifier over the same SQLite log)', () => {
  it('keeps the schedule: a pending step still fires at its time, and nothing is sent twice', async () => {
    const h = sqlite()
    rig = await new NotifierRig(escalationFile).start(h.log)
    rig.open()
    await rig.advance(10_000)
    expect(rig.wecom.requests).toHaveLength(1)
    await restart(rig, h)
    await rig.advance(19_000)
    expect(rig.wecom.requests).toHaveLength(1)
    expect(rig.sms.requests).toHaveLength(0)
    await rig.advance(1000)
    expect(rig.sms.requests.map((q) => q.query.get('PhoneNumbers'))).toEqual(['+8613800000001'])
    await restart(rig, h)
    await rig.advance(60_000)
    expect(rig.sms.requests.map((q) => q.query.get('PhoneNumbers'))).toEqual(['+8613800000001', '+8613800000003'])
    expect(rig.wecom.requests).toHaveLength(1)
  })

  it('steps that fell due while the service was down fire at start, once each', async () => {
    const h = sqlite()
    rig = await new NotifierRig(escalationFile).start(h.log)
    const a = rig.open()
    await rig.advance(10_000)
    await restart(rig, h, 40_000)
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

  it('a message that was still being retried at shutdown is sent after the restart, once', async () => {
    const h = sqlite()
    rig = await new NotifierRig(escalationFile, undefined, { wecom: () => ({ status: 503 }) }).start(h.log)
    const a = rig.open()
    await rig.advance(2000, 500)
    const failures = rig.wecom.requests.length
    expect(failures).toBeGreaterThanOrEqual(1)
    rig.wecom.answer = () => ({ json: { errcode: 0, errmsg: 'ok' } })
    await restart(rig, h)
    await rig.advance(5000, 500)
    expect(rig.wecom.requests).toHaveLength(failures + 1)
    expect((await rig.notifier.notificationsFor(a.id)).filter((d) => d.status === 'sent')).toHaveLength(1)
  })

  it('an acknowledged alert stays quiet after a restart', async () => {
    const h = sqlite()
    rig = await new NotifierRig(escalationFile).start(h.log)
    const a = rig.open()
    await rig.advance(5000)
    rig.ack(a)
    await restart(rig, h)
    await rig.advance(120_000, 10_000)
    expect(rig.sms.requests).toHaveLength(0)
    expect(rig.wecom.requests).toHaveLength(1)
  })

  it('a plan whose alert was resolved while the notifier was not running is dropped at start', async () => {
    const h = sqlite()
    rig = await new NotifierRig(escalationFile).start(h.log)
    rig.open()
    await rig.advance(5000)
    await rig.notifier.stop()
    const log = await h.reopen()
    const notifier = rig.build(log, undefined, { currentAlert: async () => ({ state: 'resolved' }) })
    await notifier.start()
    rig.time.advance(120_000)
    await notifier.idle()
    expect(rig.sms.requests).toHaveLength(0)
    expect(await log.pendingPlans()).toEqual([])
    await notifier.stop()
  })
})
