// A shelf toggling all its counted items under its rate limit, while another station's device
// reports tamper and the webhook receiver is down: alert changes stay bounded (flap damping), the
// full webhook queue drops warnings and keeps the critical tamper, and the service stays healthy.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { FLAP_OPENS } from '../../src/alerts/flap-damping.ts'
import { eventually, publishState, publishStatus, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { watchUnhandled } from './hostile-helpers.ts'

const FLAPPER = 'flapper'
const GUARDED = 'guarded'
const SHELF = `${FLAPPER}-shelf`
const ITEMS = Array.from({ length: 9 }, (_, i) => `supply-${i + 1}`)
const QUEUE_MAX = 20

/** The fixture station, its shelf carrying nine counted supplies (min 10) instead of its own three items. */
function flapperStation() {
  const s = fixtureStation(FLAPPER)
  s.json.equipment = ITEMS.map((id) => ({ id, name: id, category: 'water-food', kind: 'supply', min: 10 }))
  const shelf = (s.json.devices as { id: string; items?: string[] }[]).find((d) => d.id === SHELF)!
  shelf.items = ITEMS
  return s
}

let t: TestService
let rx: { server: Server; url: string; failing: boolean; accepted: any[] }
const unhandled = watchUnhandled()

beforeAll(async () => {
  rx = { server: createServer(), url: '', failing: true, accepted: [] }
  rx.server.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (rx.failing) return void res.writeHead(500).end()
      rx.accepted.push(JSON.parse(Buffer.concat(chunks).toString()))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => rx.server.listen(0, '127.0.0.1', r))
  rx.url = `http://127.0.0.1:${(rx.server.address() as AddressInfo).port}/hook`
  t = await startTestService({ stations: [flapperStation(), fixtureStation(GUARDED)], env: { WEBHOOK_URL: rx.url, WEBHOOK_QUEUE_MAX: String(QUEUE_MAX) } })
})

afterAll(async () => {
  await t?.stop()
  await new Promise((r) => rx.server.close(r))
  unhandled.uninstall()
})

test('a flapping shelf writes a bounded number of alert changes and cannot push a critical tamper out of the webhook queue', async () => {
  const shelf = await t.device(SHELF)
  const sensor = await t.device(`${GUARDED}-door-main`)
  await publishStatus(shelf, FLAPPER, SHELF, { online: true })
  await publishStatus(sensor, GUARDED, `${GUARDED}-door-main`, { online: true, tamper: false })
  let seq = 0
  const counts = (n: number) => Object.fromEntries(ITEMS.map((id) => [id, n]))
  await publishState(shelf, FLAPPER, SHELF, { ts: Date.now(), seq: ++seq, items: counts(20) })

  // The tamper comes first, so it is the oldest change waiting for the failing receiver: a queue
  // that drops its oldest entries when full loses it to the shelf's changes.
  await publishStatus(sensor, GUARDED, `${GUARDED}-door-main`, { online: true, tamper: true })
  const tamper = await eventually(async () => (await t.api(`/api/alerts?station=${GUARDED}`)).body.find((a: any) => a.rule === 'tamper'), 5000, 'the tamper alert')
  expect(tamper).toMatchObject({ severity: 'critical', state: 'active' })

  // Toggle every item across its minimum, one message at a time (each waits for its PUBACK, then
  // 50 ms: some 20 a second, under the default limit of 50 — a PUBACK alone takes about one
  // commit, a millisecond or two, and would outrun the limit), for 3 s.
  const started = Date.now()
  let toggles = 0
  while (Date.now() - started < 3000) {
    await publishState(shelf, FLAPPER, SHELF, { ts: Date.now(), seq: ++seq, items: counts(toggles % 2 === 0 ? 2 : 20) })
    toggles++
    await new Promise((r) => setTimeout(r, 50))
  }
  expect(toggles).toBeGreaterThan(20)

  // Without damping every toggle is a change per item (here > 9 × 20); with it, each item opens
  // FLAP_OPENS times and resolves FLAP_OPENS - 1 times, then stays open, flapping.
  const bound = ITEMS.length * (2 * FLAP_OPENS - 1)
  const events = await t.api(`/api/stations/${FLAPPER}/events?kind=alert-opened,alert-resolved&limit=10000`)
  expect(events.status).toBe(200)
  expect(events.body.length).toBeGreaterThan(ITEMS.length)
  expect(events.body.length).toBeLessThanOrEqual(bound)
  const open = (await t.api(`/api/alerts?station=${FLAPPER}&state=active`)).body as any[]
  expect(open).toHaveLength(ITEMS.length)
  expect(open.every((a) => a.flapping === true && /flapping/.test(a.message))).toBe(true)

  // The queue (bound 20) overflowed with warnings: those were dropped and counted, never the tamper.
  const metrics = (await fetch(`${t.base}/metrics`)).text()
  const warningDropped = Number(/stationwatch_webhook_dropped_total\{severity="warning"\} (\d+)/.exec(await metrics)?.[1])
  expect(warningDropped).toBeGreaterThan(0)

  // The receiver recovers: the tamper alert reaches it (the backoff is at most a few seconds here).
  rx.failing = false
  await eventually(() => rx.accepted.some((n) => n.alert.id === tamper.id && n.alert.rule === 'tamper'), 20_000, 'the tamper alert at the webhook receiver')
  await eventually(async () => (await t.api('/api/health')).body?.webhook?.pending === 0, 20_000, 'the webhook queue to drain')
  const tamperNotice = rx.accepted.find((n) => n.alert.id === tamper.id)
  expect(tamperNotice.change === 'opened' || tamperNotice.coalesced?.includes('opened')).toBe(true)

  // Still healthy: a real device of the other station gets its PUBACK within 1 s, health answers.
  const t0 = Date.now()
  await publishState(sensor, GUARDED, `${GUARDED}-door-main`, { ts: Date.now(), seq: 1, open: false })
  expect(Date.now() - t0).toBeLessThan(1000)
  const health = await t.api('/api/health')
  expect(health.status).toBe(200)
  expect(health.body.webhook.failing).toBe(false)
  unhandled.check()
})
