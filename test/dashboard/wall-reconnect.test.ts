// A wall screen needs no one: the service restarting, the network resetting or going silent, the
// service upgraded while the screen was away — each time the page comes back by itself.
import { statSync, utimesSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { demoFixtureStation } from '../helpers/demo-station.ts'
import { expectNoPageErrors, launchBrowser, openDashboard, screenshot, skipWithoutChromium, WALL } from '../helpers/browser.ts'
import { publishState, startTestService, type TestService } from '../helpers/service.ts'
import { startTcpCut } from '../helpers/tcp-cut.ts'
import { displayToken } from '../helpers/wall-page.ts'

let t: TestService
let browser: Browser

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations: [demoFixtureStation()] }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

describe.skipIf(skipWithoutChromium)('dashboard: the wall screen needs no one', () => {
  test('the service restarting and the network dropping (reset, then silently): stale while away, back by itself with the current state', async () => {
    const net = await startTcpCut(t.svc.httpPort)
    const { token } = await displayToken(t, 'restart', ['xinhua'])
    const d = await openDashboard(browser, net.base, { viewport: WALL })
    const { page } = d
    await page.goto(`${net.base}/wall/xinhua?token=${token}`)
    await page.waitForSelector('body[data-link="live"] [data-subject="door:main"]')
    const door = () => page.getAttribute('[data-subject="door:main"]', 'data-state')
    const snapshots = async () => Number(await page.getAttribute('body', 'data-snapshots'))
    let seq = 100
    const setDoor = async (open: boolean) => publishState(await t.device('xinhua-door-main'), 'xinhua', 'xinhua-door-main', { ts: Date.now(), seq: seq++, open })
    await setDoor(true)
    await expect.poll(door, { timeout: 5000 }).toBe('open')
    expect(await page.isVisible('[data-testid=wall-stale]')).toBe(false)

    // 1. The service stops: the screen says its state is stale; the door closes while it is away.
    await t.svc.stop()
    await page.waitForSelector('[data-testid=wall-stale]', { state: 'visible', timeout: 5000 })
    expect(await page.textContent('[data-testid=wall-stale]')).toMatch(/连接中断，以下为 \d{2}:\d{2}:\d{2} 的状态/)
    expect(await page.getAttribute('[data-testid=wall-link]', 'data-state')).not.toBe('live')
    expect(Number(await page.locator('#wall-main').evaluate((el) => getComputedStyle(el).opacity))).toBeLessThan(1)
    await screenshot(page, 'wall-stale')
    await t.restart()
    net.upstreamPort = t.svc.httpPort
    await setDoor(false)
    // no click, no reload: the backoff's next attempt gets a new snapshot
    await page.waitForSelector('body[data-link="live"]', { timeout: 30_000 })
    await expect.poll(door, { timeout: 5000 }).toBe('closed')
    expect(await page.isVisible('[data-testid=wall-stale]')).toBe(false)
    expect(await snapshots()).toBe(2)

    // 2. The network resets every connection and refuses new ones for a while.
    net.cut()
    await page.waitForSelector('[data-testid=wall-stale]', { state: 'visible', timeout: 5000 })
    await setDoor(true)
    await new Promise((r) => setTimeout(r, 1500))
    net.restore()
    await page.waitForSelector('body[data-link="live"]', { timeout: 30_000 })
    await expect.poll(door, { timeout: 5000 }).toBe('open')
    expect(await snapshots()).toBe(3)

    // 3. The network goes silent (nothing answers, nothing closes): the page's own check notices.
    net.blackhole()
    await page.waitForSelector('[data-testid=wall-stale]', { state: 'visible', timeout: 25_000 })
    await setDoor(false)
    net.restore()
    await page.waitForSelector('body[data-link="live"]', { timeout: 30_000 })
    await expect.poll(door, { timeout: 5000 }).toBe('closed')
    expect(await page.isVisible('[data-testid=wall-notice]')).toBe(false)
    expectNoPageErrors(d)
    await d.close()
    await net.close()
  }, 90_000)

  test('a service upgraded while the screen was away: on reconnecting the page loads its new files by itself', async () => {
    const net = await startTcpCut(t.svc.httpPort)
    const { token } = await displayToken(t, 'upgrade', ['xinhua'])
    const d = await openDashboard(browser, net.base, { viewport: WALL })
    const { page } = d
    await page.goto(`${net.base}/wall/xinhua?token=${token}`)
    await page.waitForSelector('body[data-link="live"] [data-subject="door:main"]')
    await page.waitForFunction(() => document.readyState === 'complete')
    await page.waitForTimeout(300) // the page notes its files' stamps after "load"
    await page.evaluate(() => ((window as any).__before = true))
    const css = fileURLToPath(new URL('../../dashboards/web/css/wall.css', import.meta.url))
    const { atime, mtime } = statSync(css)
    try {
      await t.svc.stop()
      await page.waitForSelector('[data-testid=wall-stale]', { state: 'visible', timeout: 5000 })
      utimesSync(css, new Date(), new Date(Date.now() + 60_000)) // "a new release": the style sheet changed
      await t.restart()
      net.upstreamPort = t.svc.httpPort
      await page.waitForFunction(() => !(window as any).__before, undefined, { timeout: 25_000 })
      await page.waitForSelector('body[data-link="live"] [data-subject="door:main"]')
      expect(await page.getAttribute('body', 'data-snapshots')).toBe('1')
    } finally {
      utimesSync(css, atime, mtime)
    }
    expectNoPageErrors(d)
    await d.close()
    await net.close()
  }, 60_000)
})
