import { describe, expect, test } from 'vitest'
import type { AlertChange, Severity } from '../../../../src/alerts/alert.ts'
import { NoticeQueue, type AlertNotice } from '../../../../src/adapters/webhook/notice-queue.ts'

function notice(id: string, severity: Severity, change: AlertChange = 'opened'): AlertNotice {
  return { type: 'alert', change, alert: { id, station: 's', rule: 'stock-low', subject: `item:${id}`, severity, state: 'active', message: '', openedAt: 0, escalated: false } }
}

function drain(q: NoticeQueue): string[] {
  const out: string[] = []
  for (let body = q.next(); body !== undefined; body = q.next()) {
    const n = JSON.parse(body) as AlertNotice
    out.push(`${n.alert.id}:${n.change}${n.coalesced ? `(${n.coalesced.join(',')})` : ''}`)
    q.delivered()
  }
  return out
}

describe('NoticeQueue', () => {
  test('the change being sent is neither dropped nor rewritten, even when it is the least important', () => {
    const q = new NoticeQueue(2)
    q.offer(notice('W1', 'warning'))
    expect(q.next()).toContain('"W1"')
    q.offer(notice('W2', 'warning'))
    expect(q.offer(notice('W1', 'warning', 'resolved'))).toEqual({ kind: 'dropped', severity: 'warning' }) // W2 goes, not the W1 in flight
    expect(q.offer(notice('C1', 'critical'))).toEqual({ kind: 'dropped', severity: 'warning' })
    q.delivered()
    expect(drain(q)).toEqual(['C1:opened'])
  })

  test('after a failed attempt the first change may be merged with a later one of its alert', () => {
    const q = new NoticeQueue(2)
    q.offer(notice('C1', 'critical'))
    q.next()
    q.failed()
    q.offer(notice('C2', 'critical'))
    expect(q.offer(notice('C1', 'critical', 'escalated'))).toEqual({ kind: 'coalesced' })
    expect(q.offer(notice('C1', 'critical', 'resolved'))).toEqual({ kind: 'coalesced' })
    expect(drain(q)).toEqual(['C1:resolved(opened,escalated)', 'C2:opened'])
  })

  test('critical changes past the bound: one per alert', () => {
    const q = new NoticeQueue(10)
    for (let i = 0; i < 10; i++) q.offer(notice(`C${i}`, 'critical'))
    for (let round = 0; round < 3; round++) for (let i = 0; i < 100; i++) q.offer(notice(`X${i}`, 'critical', round === 0 ? 'opened' : 'escalated'))
    expect(q.length).toBe(110)
    for (let i = 0; i < 100; i++) q.offer(notice(`I${i}`, 'info'))
    expect(q.length).toBe(110)
  })
})
