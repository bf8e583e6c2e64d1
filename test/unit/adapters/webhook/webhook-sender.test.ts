import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import type { Alert, AlertChange, Severity } from '../../../../src/alerts/alert.ts'
import { WebhookSender, type AlertNotice } from '../../../../src/adapters/webhook/webhook-sender.ts'
import { eventually } from '../../../helpers/service.ts'

/** A real receiver on a free port that answers 500 while `failing`, and records what it accepted. */
async function receiver(): Promise<{ url: string; server: Server; accepted: AlertNotice[]; attempts: number; failing: boolean }> {
  const r = { url: '', server: createServer(), accepted: [] as AlertNotice[], attempts: 0, failing: true }
  r.server.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      r.attempts++
      if (r.failing) return void res.writeHead(500).end('down')
      r.accepted.push(JSON.parse(Buffer.concat(chunks).toString()) as AlertNotice)
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve))
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`
  return r
}

function notice(id: string, severity: Severity, change: AlertChange = 'opened'): AlertNotice {
  const alert: Alert = { id, station: 's1', rule: severity === 'critical' ? 'tamper' : severity === 'warning' ? 'stock-low' : 'battery-low', subject: `device:${id}`, severity, state: 'active', message: id, openedAt: 0, escalated: change === 'escalated' }
  return { type: 'alert', change, alert }
}

function logCapture(): { log: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l))
      done()
    },
  })
  return { log: pino({ level: 'info' }, stream), lines }
}

let server: Server | undefined
let sender: WebhookSender | undefined
afterEach(async () => {
  await sender?.stop(0)
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  server = undefined
  sender = undefined
})

describe('webhook queue at its bound', () => {
  test('a failing receiver: info, then warning changes are dropped and counted, no critical change is lost, the log says it once', async () => {
    const rx = await receiver()
    server = rx.server
    const { log, lines } = logCapture()
    const dropped: Severity[] = []
    let coalesced = 0
    sender = new WebhookSender({ url: rx.url, log, observer: { dropped: (s) => dropped.push(s), coalesced: () => coalesced++ }, maxQueue: 10 })

    sender.send(notice('C1', 'critical'))
    // C1 is in flight against the failing receiver: it must survive everything below.
    await eventually(() => rx.attempts >= 1, 5000, 'a first failed attempt')
    for (let i = 1; i <= 5; i++) sender.send(notice(`I${i}`, 'info'))
    for (let i = 1; i <= 4; i++) sender.send(notice(`W${i}`, 'warning'))
    expect(sender.state.pending).toBe(10)
    expect(dropped).toEqual([])

    sender.send(notice('W5', 'warning')) // full: the oldest info (I1) goes
    sender.send(notice('I6', 'info')) // an info for an info: the older (I2) goes
    expect(dropped).toEqual(['info', 'info'])
    for (let i = 2; i <= 12; i++) sender.send(notice(`C${i}`, 'critical'))
    // C2…C5 took the places of I3, I4, I5, I6, C6…C10 those of W1…W5; C11 and C12 are kept past the bound.
    expect(dropped).toEqual(['info', 'info', 'info', 'info', 'info', 'info', 'warning', 'warning', 'warning', 'warning', 'warning'])
    expect(sender.state.pending).toBe(12)
    sender.send(notice('I7', 'info')) // nothing less important waits: the newcomer goes
    sender.send(notice('W6', 'warning'))
    sender.send(notice('C2', 'critical', 'escalated')) // C2's opened still waits: merged into it
    expect(sender.state.pending).toBe(12)
    expect(coalesced).toBe(1)
    expect(dropped.filter((s) => s === 'info')).toHaveLength(7)
    expect(dropped.filter((s) => s === 'warning')).toHaveLength(6)
    expect(sender.state.dropped).toBe(13)

    rx.failing = false
    await eventually(() => sender!.state.pending === 0, 15_000, 'the queue to drain')
    const got = rx.accepted.map((n) => `${n.alert.id}:${n.change}${n.coalesced ? `(${n.coalesced.join(',')})` : ''}`)
    expect(got).toEqual(['C1:opened', 'C2:escalated(opened)', ...Array.from({ length: 10 }, (_, i) => `C${i + 3}:opened`)])

    const full = lines.filter((l) => /webhook queue full/.test(l.msg))
    expect(full).toHaveLength(1)
    expect(full[0]!.level).toBe(50)
    expect(lines.filter((l) => /below its limit again/.test(l.msg))).toHaveLength(1)
  })

  test('below the bound nothing is dropped or merged: every change arrives, in order', async () => {
    const rx = await receiver()
    server = rx.server
    const { log } = logCapture()
    sender = new WebhookSender({ url: rx.url, log, maxQueue: 50 })
    const sent: string[] = []
    for (let i = 0; i < 20; i++) {
      const sev: Severity = i % 3 === 0 ? 'info' : i % 3 === 1 ? 'warning' : 'critical'
      sender.send(notice(`A${i}`, sev))
      sender.send(notice(`A${i}`, sev, 'resolved'))
      sent.push(`A${i}:opened`, `A${i}:resolved`)
    }
    await eventually(() => rx.attempts >= 1, 5000, 'a first failed attempt')
    rx.failing = false
    await eventually(() => sender!.state.pending === 0, 15_000, 'the queue to drain')
    expect(rx.accepted.map((n) => `${n.alert.id}:${n.change}`)).toEqual(sent)
    expect(sender.state.dropped).toBe(0)
    expect(sender.state.coalesced).toBe(0)
  })
})
