import { expect, test } from 'vitest'
import type { InfluxStoreObserver } from '../../../../src/adapters/influx/influx-reading-store.ts'
import { describeWithInfluxd, testDatabase, useInfluxd } from '../../../helpers/influxd.ts'
import { eventually } from '../../../helpers/service.ts'
import { doorPoint, openInflux, type InfluxTestOptions } from '../../../ports/reading-stores.ts'
import { startFaultProxy } from '../../../helpers/fault-proxy.ts'

const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000

/**
 * After an outage the spool drains as soon as InfluxDB answers again, not when the retry's
 * backoff runs out; a server that answers writes with errors is still retried with backoff.
 * The retry delay is long here (4 s) so that waiting it out and not waiting it out differ plainly.
 */
const SLOW_RETRY: InfluxTestOptions = {
  spillAfterMs: 300,
  writeTimeoutMs: 1500,
  retryMinMs: 4000,
  retryMaxMs: 4000,
  recoveryPingMs: 100,
  pingIntervalMs: 300,
  flushIntervalMs: 50,
  waitForInfluxMs: 500,
}

describeWithInfluxd('InfluxDB store: recovery from an outage', () => {
  const fx = useInfluxd()

  function doors(n: number, from: number) {
    return Array.from({ length: n }, (_, i) => doorPoint(T0 + from + i, i % 2 === 0, { deviceTs: from + i }))
  }

  async function setUp() {
    const db = testDatabase()
    const proxy = await startFaultProxy(fx.influxd.url)
    let writeFailures = 0
    const observer: InfluxStoreObserver = { written: () => undefined, spool: () => undefined, dropped: () => undefined, writeFailed: () => void writeFailures++ }
    const h = await openInflux({ url: proxy.url }, db, { ...SLOW_RETRY, observer })
    fx.cleanup(() => proxy.close(), () => h.close(), () => fx.influxd.query(`DROP DATABASE ${db}`))
    h.store.write(doors(10, 0))
    await h.store.flush()
    const stored = async () => (await fx.influxd.rows('SELECT "device_ts" FROM "door" ORDER BY time ASC', db, { epoch: 'ms' })).map((r) => r.device_ts as number)
    expect(await stored()).toHaveLength(10)
    return { h, proxy, stored, failures: () => writeFailures }
  }

  test('the drain starts as soon as an InfluxDB that was unreachable answers a ping, not after the retry delay', async () => {
    const { h, proxy, stored, failures } = await setUp()
    // Unreachable: every connection, pings included, is dropped.
    proxy.paths = /^\/(write|ping)/
    proxy.mode = 'reset'
    h.store.write(doors(100, 10))
    await eventually(() => h.store.health().spooled === 100, 3000, 'the batch to be spooled')
    // The direct write and the drain's first attempt failed: the drain now waits 4 s to retry.
    await eventually(() => failures() >= 2, 3000, 'a failed drain attempt')
    await new Promise((r) => setTimeout(r, 300))
    expect(h.store.health().spooled).toBe(100)

    proxy.mode = 'pass'
    const back = performance.now()
    await eventually(() => h.store.health().spooled === 0, 3000, 'the spool to drain within 3 s of InfluxDB answering')
    expect(performance.now() - back).toBeLessThan(2000)
    expect(await stored()).toEqual(Array.from({ length: 110 }, (_, i) => i))
  })

  test('an InfluxDB that answers writes with 500 is retried after the delay, not at every ping', async () => {
    const { h, proxy, stored, failures } = await setUp()
    proxy.mode = 'error-500' // writes only: pings answer
    h.store.write(doors(100, 10))
    await eventually(() => h.store.health().spooled === 100, 3000, 'the batch to be spooled')
    await eventually(() => failures() >= 2, 3000, 'a failed drain attempt')
    const before = failures()
    // New readings reaching the spool do not cut the wait short either.
    for (let i = 0; i < 10; i++) {
      h.store.write(doors(10, 110 + i * 10))
      await new Promise((r) => setTimeout(r, 150))
    }
    expect(failures()).toBe(before)

    proxy.mode = 'pass'
    await eventually(() => h.store.health().spooled === 0, 8000, 'the spool to drain')
    expect(await stored()).toEqual(Array.from({ length: 210 }, (_, i) => i))
  })
})
