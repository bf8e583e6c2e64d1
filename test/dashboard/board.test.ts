import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DESKTOP, expectNoPageErrors, launchBrowser, logIn, openDashboard, PHONE, screenshot, skipWithoutChromium, waitForLive, WALL } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, createUser, publishState, publishStatus, startTestService, type TestService } from '../helpers/service.ts'

let t: TestService
let browser: Browser
let S: string

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService(), launchBrowser()])
  S = t.station.id
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

/** "22:45" as the station (Asia/Shanghai) shows it; the browser itself runs in Europe/London. */
const shanghaiClock = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms)

describe.skipIf(skipWithoutChromium)('dashboard: station board', () => {
  test('the login form refuses a wrong password, then logs in to the live board in Chinese', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await page.waitForSelector('#login-form')
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN')
    await page.fill('#login-username', 'admin')
    await page.fill('#login-password', 'wrong-password')
    await page.click('#login-form button[type=submit]')
    await expect.poll(() => page.textContent('#login-error')).toBe('用户名或密码错误')

    await logIn(page, 'admin', ADMIN_PASSWORD)
    expect(await page.textContent('[data-testid=readiness]')).toMatch(/^\d+$/)
    expect(await page.textContent('[data-testid=level]')).toMatch(/^(就绪|部分就绪|未就绪)$/)
    await expect.poll(() => page.textContent('.readiness-label')).toBe('就绪度')
    expect(await page.textContent('#user-name')).toContain('管理员')
    // The cookie keeps the session: a reload goes straight back to the board.
    await page.reload()
    await waitForLive(page)
    // Everything the page loaded came from the service itself.
    const origin = new URL(t.base)
    for (const url of d.requests) expect([`http://${origin.host}`, `ws://${origin.host}`, 'data:']).toContain(url.startsWith('data:') ? 'data:' : new URL(url).origin)
    expect(d.requests.some((u) => u.endsWith('/ws'))).toBe(true)
    expectNoPageErrors(d)
    await d.close()
  })

  test('a door publish is on screen within 1 s, with "since" in the station time zone', async () => {
    const d = await openDashboard(browser, t.base)
    await logIn(d.page, 'admin', ADMIN_PASSWORD)
    const door = await t.device(`${S}-door-main`)
    const row = (state: string) => d.page.locator(`[data-subject="door:main"][data-state="${state}"]`)

    const opened = Date.now()
    await publishState(door, S, `${S}-door-main`, { ts: opened, seq: 1, open: true })
    await row('open').waitFor({ timeout: 1000 })
    expect(Date.now() - opened).toBeLessThan(1000)
    expect(await row('open').textContent()).toContain('开启')
    expect(await row('open').textContent()).toContain(`自 ${shanghaiClock(Date.now())}`)

    const closed = Date.now()
    await publishState(door, S, `${S}-door-main`, { ts: closed, seq: 2, open: false })
    await row('closed').waitFor({ timeout: 1000 })
    expect(Date.now() - closed).toBeLessThan(1000)
    expectNoPageErrors(d)
    await d.close()
  })

  test('keys show who took them; equipment is grouped by category; "cannot confirm" is not "missing"', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    // Nothing reported yet from the shelf: cannot confirm, hatched, not red.
    const spreader = page.locator('[data-subject="item:spreader-1"]')
    await expect.poll(() => spreader.getAttribute('data-state')).toBe('stale')
    expect(await spreader.textContent()).toContain('无法确认')
    expect(await spreader.getAttribute('class')).toContain('tone-stale')

    const keybox = await t.device(`${S}-keybox`)
    await publishState(keybox, S, `${S}-keybox`, { ts: Date.now(), seq: 1, slots: { '1': null, '2': 'key-room-1' }, user: 'badge-0042' })
    const key = page.locator('[data-subject="key:key-main-1"]')
    await expect.poll(() => key.getAttribute('data-state')).toBe('out')
    expect(await key.textContent()).toContain('取用人：badge-0042')
    expect(await page.getAttribute('[data-subject="key:key-room-1"]', 'data-state')).toBe('in')

    const shelf = await t.device(`${S}-shelf`)
    await publishState(shelf, S, `${S}-shelf`, { ts: Date.now(), seq: 1, items: { 'spreader-1': false, extinguisher: true, water: 10 } })
    await expect.poll(() => spreader.getAttribute('data-state')).toBe('absent')
    expect(await spreader.textContent()).toContain('缺失')
    expect(await spreader.getAttribute('class')).toContain('tone-bad')
    expect(await page.textContent('[data-category="breaching"] h3')).toBe('破拆')
    expect(await page.locator('[data-category="breaching"] [data-subject="item:spreader-1"]').count()).toBe(1)
    expect(await page.locator('[data-category="water-food"] [data-subject="item:water"]').textContent()).toContain('10 / 最低 24')
    expect(await page.getAttribute('[data-subject="item:water"]', 'data-state')).toBe('low')

    // The shelf goes offline: its items become "cannot confirm", showing the last known value as such.
    await publishStatus(shelf, S, `${S}-shelf`, { online: false })
    await expect.poll(() => spreader.getAttribute('data-state')).toBe('stale')
    expect(await spreader.textContent()).toContain('最后已知：缺失')
    expect(await page.getAttribute('[data-subject="device:' + S + '-shelf"]', 'data-state')).toBe('offline')
    await publishStatus(shelf, S, `${S}-shelf`, { online: true, battery: 12 })
    await expect.poll(() => spreader.getAttribute('data-state')).toBe('absent')
    expect(await page.textContent(`[data-subject="device:${S}-shelf"]`)).toContain('电量 12%')
    expectNoPageErrors(d)
    await d.close()
  })

  test('the English switch is remembered across reloads; screenshots of the board in both languages', async () => {
    const d = await openDashboard(browser, t.base, { viewport: DESKTOP })
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    // Readiness reasons come as codes and are rendered in the page's language (key taken, supply low).
    const reasons = page.locator('ul.reasons')
    await expect.poll(() => reasons.textContent()).toContain('不在钥匙箱（取用人：badge-0042）')
    expect(await reasons.textContent()).toContain('不足：10 / 24')
    await screenshot(page, 'board-zh-CN')

    await page.click('#app .lang-toggle')
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en')
    expect(await page.textContent('.readiness-label')).toBe('Readiness')
    expect(await page.textContent('[data-view-link=board]')).toBe('Board')
    expect(await page.locator('[data-subject="key:key-main-1"]').textContent()).toContain('taken by badge-0042')
    expect(await reasons.textContent()).toContain('is out of the key box (taken by badge-0042)')
    expect(await reasons.textContent()).toContain('is low: 10 of 24')
    await page.reload()
    await waitForLive(page)
    expect(await page.textContent('.readiness-label')).toBe('Readiness')
    expect(await page.evaluate(() => localStorage.getItem('stationwatch.lang'))).toBe('en')
    await screenshot(page, 'board-en')

    // A wall screen shows the board and the alerts side by side.
    await page.setViewportSize(WALL)
    expect(await page.isVisible('#view-alerts')).toBe(true)
    await screenshot(page, 'board-wall-en')

    await page.click('#app .lang-toggle')
    await expect.poll(() => page.textContent('.readiness-label')).toBe('就绪度')
    await page.reload()
    await waitForLive(page)
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN')
    expectNoPageErrors(d)
    await d.close()
  })

  test('a viewer gets the board but no incident button and no audit trail', async () => {
    await createUser(t, 'viewer1', 'viewer')
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'viewer1', 'viewer1-password')
    expect(await page.textContent('#user-name')).toContain('查看者')
    expect(await page.locator('[data-action=open-incident]').count()).toBe(0)
    expect(await page.isVisible('[data-view-link=audit]')).toBe(false)
    await page.goto(t.base + '/#audit')
    expect(await page.getAttribute('body', 'data-view')).toBe('board')
    expectNoPageErrors(d)
    await d.close()
  })

  test('on a phone the board is one column with nothing to scroll sideways', async () => {
    const d = await openDashboard(browser, t.base, { viewport: PHONE, isMobile: true })
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    const [doors, keys] = await Promise.all([page.locator('.list-card.doors').boundingBox(), page.locator('.list-card.keys').boundingBox()])
    expect(keys!.y).toBeGreaterThan(doors!.y + doors!.height - 1) // stacked, not side by side
    expect(doors!.width).toBeGreaterThan(PHONE.width * 0.85)
    // Touch targets for the tabs are comfortably tall.
    expect((await page.locator('[data-view-link=alerts]').boundingBox())!.height).toBeGreaterThanOrEqual(36)
    await screenshot(page, 'board-phone')
    await page.click('[data-view-link=alerts]')
    // The view follows the hash, which changes after the click's task ends.
    await page.waitForSelector('#view-alerts', { state: 'visible', timeout: 5000 })
    await page.waitForSelector('#view-board', { state: 'hidden', timeout: 5000 })
    await screenshot(page, 'alerts-phone')
    expectNoPageErrors(d)
    await d.close()
  })
})
