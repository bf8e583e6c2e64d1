import type { Notifier } from '../../../src/notify/notifier.ts'
import type { Delivery, DeliveryLog } from '../../../src/notify/ports.ts'
import type { NotifyAlert } from '../../../src/notify/render.ts'
import type { Answer, SeenRequest } from '../../helpers/vendor-stand-in.ts'
import { escalationFile, FRIDAY_10, NotifierRig, ok, smsOk } from './notifier-rig.ts'

/** how long an adopter waits before sending the previous owner's unsent messages (fake time) */
export const SETTLE = 5_000


export interface Instance {
  name: string
  notifier: Notifier
  owned: Set<string>
}

export type Answers = { wecom?: (r: SeenRequest, n: number) => Answer; sms?: (r: SeenRequest, n: number) => Answer }

/**
 * Notifiers of several instances (each over its own or a shared delivery log) on one fake clock,
 * sending to the same stand-ins, each owning the stations in its `owned` set. Every `sent` row is
 * kept with the name of the instance that recorded it.
 */
export class HandOverRig {
  readonly instances: Instance[] = []
  readonly rows: (Delivery & { by: string })[] = []
  private seq = 0

  private constructor(
    readonly rig: NotifierRig,
    /** real time to let the logs' reads answer after each clock step */
    private readonly readMs: number,
  ) {}

  /** The stand-ins and the clock; the NotifierRig's own notifier owns nothing and stays idle. */
  static async stage(log: DeliveryLog, answers: Answers = {}, readMs = 5): Promise<HandOverRig> {
    const rig = await new NotifierRig(escalationFile, FRIDAY_10, { wecom: answers.wecom ?? ok, sms: answers.sms ?? smsOk }).start(log, undefined, { owns: () => false })
    return new HandOverRig(rig, readMs)
  }

  get time() {
    return this.rig.time
  }

  /** One instance's notifier over `log`, owning `owned` from its start. */
  async instance(log: DeliveryLog, name: string, owned: string[]): Promise<Instance> {
    const set = new Set(owned)
    const notifier = this.rig.build(log, undefined, { owns: (s) => set.has(s), handOverSettleMs: SETTLE, onDelivery: (d) => this.rows.push({ ...d, by: name }) })
    const i = { name, notifier, owned: set }
    this.instances.push(i)
    await notifier.start()
    return i
  }

  /** As the cluster's Ownership does: the loser releases at once, then the winner adopts. */
  async handOver(station: string, from: Instance, to: Instance): Promise<void> {
    from.owned.delete(station)
    from.notifier.release(station)
    to.owned.add(station)
    await to.notifier.adopt(station)
  }

  /** Moves the fake clock in steps; after each, lets the delivery logs' reads answer and every request end. */
  async advance(ms: number, stepMs = 1000): Promise<void> {
    for (let left = ms; left > 0; left -= stepMs) {
      this.rig.time.advance(Math.min(stepMs, left))
      await this.settle()
    }
  }

  async settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.readMs))
    await Promise.all([this.rig.notifier, ...this.instances.map((i) => i.notifier)].map((n) => n.idle()))
  }

  opened(station = 'xinhua'): NotifyAlert {
    return { id: `al-h${++this.seq}`, station, rule: 'door-forced', subject: 'door:main', severity: 'critical', state: 'active', message: '正门被强行打开', openedAt: this.rig.time.now(), escalated: false }
  }

  /** Who sent what: [instance, alert, firing, channel, person] of every `sent` row. */
  sent(): unknown[][] {
    return this.rows.filter((r) => r.status === 'sent').map((r) => [r.by, r.alertId, r.firing, r.channel, r.to])
  }

  phones(): (string | null)[] {
    return this.rig.sms.requests.map((q) => q.query.get('PhoneNumbers'))
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.notifier.stop()))
    await this.rig.close()
  }
}
