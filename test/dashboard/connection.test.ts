import { createServer } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium, waitForLive } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, publishState, startTestService, type TestService } from '../helpers/service.ts'

/** A port free right now, so the service comes back where the page expects it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

let t: TestService
let browser: Browser

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([freePort().then((port) => startTestService({ env: { HTTP_PORT: String(port) } })), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

describe.skipIf(skipWithoutChromium)('dashboard: connection', () => {
  test('the service stopping shows the connection-lost banner; when it returns the board is refreshed from a new snapshot', async () => {
    const S = t.station.id
    const d = await openDashboard(browser, t.base)
    const { page } = d
    // The page's /ws goes to the real server, except while `hold` is set: then the attempt is
    // refused, as it would be by a server not yet back, so the test decides when the page reconnects.
    let hold = false
    await page.routeWebSocket(/\/ws$/, (ws) => {
      if (hold) void ws.close({ code: 1006 })
      else void ws.connectToServer()
    })
    await logIn(page, 'admin', ADMIN_PASSWORD)
    const door = await t.device(`${S}-door-main`)
    await publishState(door, S, `${S}-door-main`, { ts: Date.now(), seq: 1, open: true })
    const doorRow = page.locator('[data-subject="door:main"]')
    await expect.poll(() => doorRow.getAttribute('data-state')).toBe('open')
    expect(await page.isVisible('#conn-banner')).toBe(false)
    expect(await page.getAttribute('body', 'data-snapshots')).toBe('1')

    hold = true
    await t.svc.stop()
    await page.waitForSelector('#conn-banner', { state: 'visible', timeout: 3000 })
    expect(await page.textContent('#conn-banner')).toContain('与服务器的连接已断开')
    expect(await page.textContent('#conn-detail')).toMatch(/秒后重试/)
    expect(await page.getAttribute('body', 'data-link')).not.toBe('live')
    // What is still on screen is marked as old: greyed out, not presented as current.
    expect(Number(await page.locator('#view-board').evaluate((el) => getComputedStyle(el).opacity))).toBeLessThan(1)
    await screenshot(page, 'connection-lost')

    // The service is back (same port, same data dir) and the door closes before the page reconnects:
    // the page missed that push, and must not go on showing "open" as current.
    await t.restart()
    const again = await t.device(`${S}-door-main`)
    await publishState(again, S, `${S}-door-main`, { ts: Date.now(), seq: 2, open: false })
    expect(await doorRow.getAttribute('data-state')).toBe('open')
    expect(await page.isVisible('#conn-banner')).toBe(true)

    hold = false
    // "Reconnect now" when it is offered (it is hidden during an attempt); else the backoff's next try.
    await page.locator('#conn-retry').click({ timeout: 1000 }).catch(() => undefined)
    await waitForLive(page, 20_000)
    await page.waitForSelector('#conn-banner', { state: 'hidden', timeout: 5000 })
    expect(Number(await page.getAttribute('body', 'data-snapshots'))).toBe(2)
    expect(await doorRow.getAttribute('data-state')).toBe('closed')
    const status = (await t.api(`/api/stations/${S}`)).body
    expect(await page.textContent('[data-testid=readiness]')).toBe(String(status.readiness))

    // And live updates flow again.
    await publishState(again, S, `${S}-door-main`, { ts: Date.now(), seq: 3, open: true })
    await page.locator('[data-subject="door:main"][data-state="open"]').waitFor({ timeout: 1000 })
    expectNoPageErrors(d)
    await d.close()
  })

  test('an expired or revoked session sends the page back to the login form', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    // Log the same session out behind the page's back, then make the page reconnect.
    const cookie = (await d.context.cookies()).find((c) => c.name === 'sw_session')!
    await t.api('/api/auth/logout', { method: 'POST', token: cookie.value })
    await t.restart()
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 10_000 })
    expect(await page.textContent('#login-error')).toBe('登录已过期，请重新登录')
    await d.close()
  })
})
