import type { Alert, AlertChange, Severity } from '../../alerts/alert.ts'

/** What the webhook receives for one alert change (decisions.md, "Webhook body"). */
export interface AlertNotice {
  type: 'alert'
  change: AlertChange
  alert: Alert
  by?: string
  /**
   * earlier changes of this alert that were waiting when the queue was full and that this
   * notice stands for: the alert in it is the latest state, which already carries them
   */
  coalesced?: AlertChange[]
}

interface Entry {
  notice: AlertNotice
  body: string
}

export type Offer = { kind: 'queued' } | { kind: 'coalesced' } | { kind: 'dropped'; severity: Severity } | { kind: 'over-bound' }

const rank: Record<Severity, number> = { info: 0, warning: 1, critical: 2 }

/**
 * The alert changes waiting for the webhook, in order. Up to `max` entries it only queues.
 * When full, a change of an alert that already has one waiting replaces that one in its
 * place (the receiver gets the latest state, and `coalesced` names what it stands for); else
 * the oldest waiting change of the lowest severity present goes — info, then warning — if it
 * is no more important than the newcomer, and otherwise the newcomer is the one dropped. A
 * critical change is never dropped: past `max` it is still queued, and since each alert has
 * at most one waiting entry once the queue is full, what lies past the bound is one entry per
 * critical alert, a number the alert engine bounds (one unresolved per configured rule and
 * subject, flapping damped).
 */
export class NoticeQueue {
  private readonly entries: Entry[] = []
  /** the newest waiting entry of each alert (never the one being sent) */
  private readonly latestOf = new Map<string, Entry>()
  private readonly count: Record<Severity, number> = { info: 0, warning: 0, critical: 0 }
  private inFlight: Entry | undefined

  constructor(private readonly max: number) {}

  get length(): number {
    return this.entries.length
  }

  get full(): boolean {
    return this.entries.length >= this.max
  }

  offer(notice: AlertNotice): Offer {
    const severity = notice.alert.severity
    if (this.entries.length < this.max) {
      this.push(notice)
      return { kind: 'queued' }
    }
    const waiting = this.latestOf.get(notice.alert.id)
    if (waiting) {
      const coalesced = [...(waiting.notice.coalesced ?? []), waiting.notice.change]
      // The alert's severity never changes, so the counts stay as they are.
      waiting.notice = { ...notice, coalesced }
      waiting.body = JSON.stringify(waiting.notice)
      return { kind: 'coalesced' }
    }
    const victim = this.leastImportant()
    if (victim && rank[victim.notice.alert.severity] <= rank[severity]) {
      this.remove(victim)
      this.push(notice)
      return { kind: 'dropped', severity: victim.notice.alert.severity }
    }
    if (severity === 'critical') {
      this.push(notice)
      return { kind: 'over-bound' }
    }
    return { kind: 'dropped', severity }
  }

  /** The next body to send, marked in flight: it is neither dropped nor rewritten until done. */
  next(): string | undefined {
    const e = this.entries[0]
    if (!e) return undefined
    this.inFlight = e
    if (this.latestOf.get(e.notice.alert.id) === e) this.latestOf.delete(e.notice.alert.id)
    return e.body
  }

  /** The body given by `next` was delivered. */
  delivered(): void {
    const e = this.inFlight
    this.inFlight = undefined
    if (e && this.entries[0] === e) {
      this.entries.shift()
      this.count[e.notice.alert.severity]--
    }
  }

  /** The body given by `next` failed: it stays first, and may be rewritten again while it waits. */
  failed(): void {
    const e = this.inFlight
    this.inFlight = undefined
    if (e && this.entries[0] === e && !this.latestOf.has(e.notice.alert.id)) this.latestOf.set(e.notice.alert.id, e)
  }

  private push(notice: AlertNotice): void {
    const e = { notice, body: JSON.stringify(notice) }
    this.entries.push(e)
    this.latestOf.set(notice.alert.id, e)
    this.count[notice.alert.severity]++
  }

  private remove(e: Entry): void {
    this.entries.splice(this.entries.indexOf(e), 1)
    this.count[e.notice.alert.severity]--
    if (this.latestOf.get(e.notice.alert.id) === e) this.latestOf.delete(e.notice.alert.id)
  }

  /** The oldest waiting info change, else the oldest warning one; never a critical one or the one in flight. */
  private leastImportant(): Entry | undefined {
    for (const s of ['info', 'warning'] as const) {
      if (this.count[s] === 0) continue
      const found = this.entries.find((e) => e !== this.inFlight && e.notice.alert.severity === s)
      if (found) return found
    }
    return undefined
  }
}
