// The wall screen (大屏, contract v2 §E) in real Chromium: the demo station on 1920×1080 and other
// screens without scrolling and with no text under 14 px, a district, display tokens, many alerts.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DEMO_ITEM_NAMES, DEMO_MINS, busyDemoStation, demoFixtureStation } from '../helpers/demo-station.ts'
import { launchBrowser, logIn, screenshot, skipWithoutChromium } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, eventually, publishState, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { displayToken, expectClean, items, layout, openWall } from '../helpers/wall-page.ts'

const DISTRICT = '七里河街道'
let t: TestService
let browser: Browser

beforeAll(async () => {
  if (skipWithoutChromium) return
  // The demo station and three small ones in its district; one more elsewhere.
  const others = ['qlh-a', 'qlh-b', 'qlh-c', 'cg-a'].map((id) => {
    const s = fixtureStation(id)
    s.json.name = `应急服务站 ${id}`
    s.json.district = id.startsWith('qlh') ? DISTRICT : '城关街道'
    return s
  })
  ;[t, browser] = await Promise.all([startTestService({ stations: [demoFixtureStation({ district: DISTRICT }), ...others] }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

describe.skipIf(skipWithoutChromium)('dashboard: the wall screen (大屏)', () => {
  test('the demo station on 1920×1080 with a display token in the URL: no scrolling, no text under 14 px, every item named with its state', async () => {
    const { token } = await displayToken(t, '新华社区 大厅大屏', ['xinhua'])
    // Before anything reports: every item "cannot confirm".
    const d = await openWall(browser, t.base, `/wall/xinhua?token=${token}`)
    const { page } = d
    await page.waitForSelector('body[data-link="live"] [data-subject="item:cut-off-saw"]')
    expect(await page.getAttribute('[data-subject="item:cut-off-saw"]', 'data-state')).toBe('stale')
    let l = await layout(page)
    expect(l.scrollHeight).toBeLessThanOrEqual(l.innerHeight)
    expect(l.scrollWidth).toBeLessThanOrEqual(l.innerWidth)
    expect(l.small).toEqual([])
    await screenshot(page, 'wall-station-quiet')

    const alarmsBefore = Number((await page.getAttribute('body', 'data-alarms')) ?? 0)
    await busyDemoStation(t)
    await eventually(async () => (await page.getAttribute('[data-subject="door:equipment-room"]', 'data-state')) === 'open')
    await page.waitForSelector('.wall-alert.sev-critical.state-active')
    await expect.poll(() => page.getAttribute('[data-subject="item:drinking-water"]', 'data-state'), { timeout: 5000 }).toBe('low')

    l = await layout(page)
    expect(l.scrollHeight).toBeLessThanOrEqual(l.innerHeight)
    expect(l.scrollWidth).toBeLessThanOrEqual(l.innerWidth)
    expect(l.small).toEqual([])
    // readable from across the room: the type did not have to shrink to the minimum
    expect(Number(l.unit)).toBeGreaterThanOrEqual(17)
    console.log(`demo station wall at 1920×1080, busy: ${l.unit} px type`)

    const shown = await items(page)
    expect(shown).toHaveLength(42)
    for (const i of shown) {
      expect(i.name).toBe(DEMO_ITEM_NAMES.get(i.id))
      expect(i.onScreen).toBe(true)
    }
    expect(shown.find((i) => i.id === 'drinking-water')).toMatchObject({ state: 'low', chip: '12 / 24' })
    expect(shown.find((i) => i.id === 'cut-off-saw')).toMatchObject({ state: 'absent', chip: '缺失' })
    expect(shown.find((i) => i.id === 'stretcher')).toMatchObject({ state: 'present', chip: '在位' })

    // doors, keys (who has the one taken out, since when), devices
    expect(await page.getAttribute('[data-subject="door:main"]', 'data-state')).toBe('open')
    const taken = page.locator('[data-subject="key:key-main-property"]')
    expect(await taken.getAttribute('data-state')).toBe('out')
    expect(await taken.textContent()).toContain('取用人：badge-0042')
    expect(await taken.textContent()).toMatch(/\d{2}:\d{2}:\d{2} 起/)
    expect(await page.locator('[data-subject^="key:"]').count()).toBe(4)
    expect(await page.locator('[data-subject^="device:"][data-state="online"]').count()).toBe(7)
    // the forced door is the first alert, critical, and sounded the siren as the dashboard does
    expect(await page.locator('.wall-alert').first().getAttribute('data-severity')).toBe('critical')
    expect(await page.locator('.wall-alert').first().textContent()).toContain('器材室 被强行打开')
    await expect.poll(async () => Number(await page.getAttribute('body', 'data-alarms')), { timeout: 5000 }).toBeGreaterThan(alarmsBefore)
    // header: readiness as the API says, a running clock, the last update and the link state
    const status = (await t.api('/api/stations/xinhua')).body
    expect(await page.textContent('[data-testid=wall-readiness]')).toBe(`${status.readiness}%`)
    expect(await page.textContent('[data-testid=wall-level]')).toBe('未就绪')
    expect(await page.textContent('[data-testid=wall-clock]')).toMatch(/^\d{2}:\d{2}:\d{2}$/)
    expect(await page.textContent('[data-testid=wall-updated]')).toMatch(/^最后更新 \d{2}:\d{2}:\d{2}$/)
    expect(await page.getAttribute('[data-testid=wall-link]', 'data-state')).toBe('live')
    // The page used the token from its URL: no cookie was set, /ws got it as ?token= (the API as a Bearer header).
    expect(await d.context.cookies()).toEqual([])
    expect(d.requests.some((u) => u.endsWith(`/ws?token=${token}`))).toBe(true)
    await screenshot(page, 'wall-station')

    // in English too, still fitting
    await page.goto(`${t.base}/wall/xinhua?token=${token}&lang=en`)
    await page.waitForSelector('body[data-link="live"] .wall-alert')
    expect(await page.textContent('.wall-alerts h2')).toContain('Active alerts')
    l = await layout(page)
    expect(l.scrollHeight).toBeLessThanOrEqual(l.innerHeight)
    expect(l.scrollWidth).toBeLessThanOrEqual(l.innerWidth)
    expect(l.small).toEqual([])
    await screenshot(page, 'wall-station-en')
    await page.evaluate(() => localStorage.removeItem('stationwatch.lang'))
    await expectClean(d)
    await d.close()
  })

  test('other screens: a small TV, a 4K TV and a screen hung upright — no scrolling, nothing under 14 px, every item on screen', async () => {
    const { token } = await displayToken(t, 'other screens', ['xinhua'])
    const d = await openWall(browser, t.base, `/wall/xinhua?token=${token}`)
    const { page } = d
    await page.waitForSelector('body[data-link="live"] [data-subject="item:cut-off-saw"]')
    for (const size of [{ width: 1366, height: 768 }, { width: 3840, height: 2160 }, { width: 1080, height: 1920 }]) {
      await page.setViewportSize(size)
      // the resize's redraw, a frame later, fits the type to the new size
      await page.waitForSelector(`html[data-fitted-to="${size.width}x${size.height}"]`)
      const l = await layout(page)
      expect(l.scrollHeight, `${size.width}×${size.height}`).toBeLessThanOrEqual(l.innerHeight)
      expect(l.scrollWidth, `${size.width}×${size.height}`).toBeLessThanOrEqual(l.innerWidth)
      expect(l.small).toEqual([])
      const shown = await items(page)
      expect(shown.filter((i) => !i.onScreen).map((i) => i.id), `${size.width}×${size.height}`).toEqual([])
      console.log(`wall at ${size.width}×${size.height}: ${l.unit} px type`)
      await screenshot(page, `wall-station-${size.width}x${size.height}`)
    }
    await expectClean(d)
    await d.close()
  })

  test('a district: one tile per station of that district the token may see, worst first, as the overview orders them', async () => {
    // the street office's screen: every station of the district but qlh-c (someone else's), and one elsewhere
    const { token } = await displayToken(t, '七里河街道办 大屏', ['xinhua', 'qlh-a', 'qlh-b', 'cg-a'])
    const d = await openWall(browser, t.base, `/wall?district=${encodeURIComponent(DISTRICT)}&token=${token}`)
    const { page } = d
    await page.waitForSelector('body[data-link="live"] .wall-tile')
    const expected = ((await t.api('/api/overview')).body.stations as { id: string; district?: string }[]).filter((s) => s.district === DISTRICT && s.id !== 'qlh-c').map((s) => s.id)
    expect(expected).toHaveLength(3)
    expect(expected[0]).toBe('xinhua') // not ready: a critical alert
    expect(await page.$$eval('.wall-tile', (els) => els.map((e) => (e as HTMLElement).dataset.station))).toEqual(expected)
    expect(await page.getAttribute('[data-station="xinhua"]', 'class')).toContain('sev-critical')
    expect(await page.textContent('[data-station="xinhua"] .wall-tile-top')).toContain('被强行打开')
    expect(await page.textContent('.wall-title')).toContain(DISTRICT)
    const l = await layout(page)
    expect(l.scrollHeight).toBeLessThanOrEqual(l.innerHeight)
    expect(l.small).toEqual([])
    await screenshot(page, 'wall-district')

    // without a district: every station of the token, grouped by district as the overview groups them
    await page.goto(`${t.base}/wall?token=${token}`)
    await page.waitForSelector('body[data-link="live"] .wall-tile')
    expect(await page.$$eval('.wall-group', (gs) => gs.map((g) => [(g as HTMLElement).dataset.district, Array.from(g.querySelectorAll<HTMLElement>('.wall-tile')).map((e) => e.dataset.station)]))).toEqual([
      [DISTRICT, expected],
      ['城关街道', ['cg-a']],
    ])
    expect(await page.textContent('.wall-title')).toContain('全部站点')
    await screenshot(page, 'wall-all')
    await expectClean(d)
    await d.close()
  })

  test('a wrong token says so on the screen; no token and no login points to the login', async () => {
    const d = await openWall(browser, t.base, '/wall/xinhua?token=not-a-token')
    await d.page.waitForSelector('[data-testid=wall-notice]', { state: 'visible' })
    expect(await d.page.textContent('[data-testid=wall-notice]')).toContain('显示令牌无效或已被撤销')
    await d.page.goto(t.base + '/wall/xinhua')
    await d.page.waitForSelector('[data-testid=wall-notice]', { state: 'visible' })
    expect(await d.page.textContent('[data-testid=wall-notice] a')).toBe('去登录')
    await d.close()
  })
  test('revoking the display token takes the screen off at once, and says so on it', async () => {
    const { id, token } = await displayToken(t, 'to revoke', ['xinhua'])
    const d = await openWall(browser, t.base, `/wall/xinhua?token=${token}`)
    const { page } = d
    await page.waitForSelector('body[data-link="live"] [data-subject="door:main"]')
    expect(await page.isVisible('[data-testid=wall-notice]')).toBe(false)
    expect((await t.api(`/api/display-tokens/${id}`, { method: 'DELETE' })).status).toBe(204)
    await page.waitForSelector('[data-testid=wall-notice]', { state: 'visible', timeout: 5000 })
    expect(await page.textContent('[data-testid=wall-notice]')).toContain('显示令牌无效或已被撤销')
    expect(await page.isVisible('[data-testid=wall-stale]')).toBe(true)
    await screenshot(page, 'wall-revoked')
    await d.close()
  })

  test('a display token for other stations shows nothing of this one; a dashboard login opens it without a token', async () => {
    const { token } = await displayToken(t, 'elsewhere', ['cg-a'])
    const d = await openWall(browser, t.base, `/wall/xinhua?token=${token}`)
    await d.page.waitForSelector('body[data-link="live"] .wall-empty')
    expect(await d.page.textContent('.wall-empty')).toBe('没有可显示的站点 xinhua')
    expect(await d.page.locator('[data-subject]').count()).toBe(0)
    await d.page.goto(t.base + '/')
    await logIn(d.page, 'admin', ADMIN_PASSWORD)
    await d.page.goto(t.base + '/wall/xinhua')
    await d.page.waitForSelector('body[data-link="live"] [data-subject="door:main"]')
    expect(await d.page.textContent('[data-testid=wall-level]')).toBe('未就绪')
    await expectClean(d)
    await d.close()
  })
})

describe.skipIf(skipWithoutChromium)('dashboard: a wall screen with many alerts', () => {
  test('more alerts than the column holds: as many as fit, the rest counted; still no scrolling', async () => {
    // every counted supply on every shelf drops to 0: a stock-low warning each
    const devices = t.stations[0]!.json.devices as { id: string; type: string; items?: string[] }[]
    let n = 0
    for (const dev of devices.filter((x) => x.type === 'equipment')) {
      const items = Object.fromEntries((dev.items ?? []).filter((id) => DEMO_MINS.has(id)).map((id) => [id, 0]))
      n += Object.keys(items).length
      await publishState(await t.device(dev.id), 'xinhua', dev.id, { ts: Date.now(), seq: 50, items })
    }
    expect(n).toBeGreaterThan(20)
    await eventually(async () => ((await t.api('/api/alerts?station=xinhua&state=active')).body as unknown[]).length > n)
    const d = await openWall(browser, t.base, `/wall/xinhua?token=${(await displayToken(t, 'many alerts', ['xinhua'])).token}`)
    const { page } = d
    await page.waitForSelector('body[data-link="live"] [data-testid=wall-more]:visible')
    const active = ((await t.api('/api/alerts?station=xinhua&state=active')).body as { drill?: boolean }[]).filter((a) => !a.drill).length
    const visible = await page.locator('.wall-alert:visible').count()
    expect(visible).toBeGreaterThan(2)
    expect(await page.textContent('[data-testid=wall-more]')).toBe(`另有 ${active - visible} 条`)
    expect(await page.textContent('[data-testid=wall-alert-count]')).toBe(String(active))
    // the worst stays on top
    expect(await page.locator('.wall-alert').first().getAttribute('data-severity')).toBe('critical')
    const l = await layout(page)
    expect(l.scrollHeight).toBeLessThanOrEqual(l.innerHeight)
    expect(l.scrollWidth).toBeLessThanOrEqual(l.innerWidth)
    expect(l.small).toEqual([])
    // every visible alert is whole, inside its panel
    const clipped = await page.$$eval('.wall-capped', (panels) =>
      panels.flatMap((p) => {
        const bottom = p.getBoundingClientRect().bottom
        return Array.from(p.querySelectorAll('li')).filter((li) => li.checkVisibility() && li.getBoundingClientRect().bottom > bottom + 0.5).map((li) => li.textContent)
      }),
    )
    expect(clipped).toEqual([])
    await screenshot(page, 'wall-station-many-alerts')
    await expectClean(d)
    await d.close()
  })
})
