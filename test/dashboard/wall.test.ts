import { statSync, utimesSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DEMO_ITEM_NAMES, DEMO_MINS, busyDemoStation, demoFixtureStation } from '../helpers/demo-station.ts'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium, WALL } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, eventually, publishState, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { startTcpCut } from '../helpers/tcp-cut.ts'

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

/** Whether the page scrolls either way, and every visible text's font size below 14 px. */
function layout(page: Page) {
  return page.evaluate(() => {
    const page = document.scrollingElement!
    const small: string[] = []
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement
      if (!el || !n.textContent?.trim() || !el.checkVisibility()) continue
      const size = parseFloat(getComputedStyle(el).fontSize)
      if (size < 14) small.push(`${size}px: ${n.textContent.trim().slice(0, 40)}`)
    }
    return { scrollHeight: page.scrollHeight, scrollWidth: page.scrollWidth, innerHeight, innerWidth, small, unit: document.documentElement.dataset.unit }
  })
}

/** Every item of the station as the wall shows it: its name, state and whether all of it is on screen. */
function items(page: Page) {
  return page.$$eval('[data-subject^="item:"]', (els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect()
      return {
        id: (el as HTMLElement).dataset.subject!.slice(5),
        name: el.querySelector('.name')!.textContent,
        state: (el as HTMLElement).dataset.state,
        chip: el.querySelector('.chip')!.textContent,
        onScreen: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && (el as HTMLElement).checkVisibility(),
      }
    }),
  )
}

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
const CSP_RECORD = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
`

/** A display token (contract v2 §E) for a wall screen showing `stations`; the admin makes it. */
async function displayToken(name: string, stations: string[]): Promise<{ id: string; token: string }> {
  const r = await t.api('/api/display-tokens', { method: 'POST', body: { name, stations } })
  expect(r.status).toBe(201)
  expect(r.body.token).toMatch(/^swd_/)
  return r.body
}

async function openWall(path: string, viewport = WALL) {
  const d = await openDashboard(browser, t.base, { viewport })
  await d.context.addInitScript({ content: CSP_RECORD })
  const doc = await d.page.goto(t.base + path)
  // served under the dashboard's Content-Security-Policy, and nothing in it is refused
  expect(doc!.headers()['content-security-policy']).toMatch(/script-src 'self'/)
  // its URL may carry a token: never sent on as a Referer, never cached
  expect(doc!.headers()['referrer-policy']).toBe('no-referrer')
  expect(doc!.headers()['cache-control']).toBe('no-store')
  return d
}

/** No page error and no Content-Security-Policy violation. */
async function expectClean(d: Awaited<ReturnType<typeof openWall>>) {
  expect(await d.page.evaluate(() => (window as any).__csp)).toEqual([])
  expectNoPageErrors(d)
}

describe.skipIf(skipWithoutChromium)('dashboard: the wall screen (大屏)', () => {
  test('the demo station on 1920×1080 with a display token in the URL: no scrolling, no text under 14 px, every item named with its state', async () => {
    const { token } = await displayToken('新华社区 大厅大屏', ['xinhua'])
    // Before anything reports: every item "cannot confirm".
    const d = await openWall(`/wall/xinhua?token=${token}`)
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
    const { token } = await displayToken('other screens', ['xinhua'])
    const d = await openWall(`/wall/xinhua?token=${token}`)
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
    const { token } = await displayToken('七里河街道办 大屏', ['xinhua', 'qlh-a', 'qlh-b', 'cg-a'])
    const d = await openWall(`/wall?district=${encodeURIComponent(DISTRICT)}&token=${token}`)
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
    const d = await openWall('/wall/xinhua?token=not-a-token')
    await d.page.waitForSelector('[data-testid=wall-notice]', { state: 'visible' })
    expect(await d.page.textContent('[data-testid=wall-notice]')).toContain('显示令牌无效或已被撤销')
    await d.page.goto(t.base + '/wall/xinhua')
    await d.page.waitForSelector('[data-testid=wall-notice]', { state: 'visible' })
    expect(await d.page.textContent('[data-testid=wall-notice] a')).toBe('去登录')
    await d.close()
  })
  test('revoking the display token takes the screen off at once, and says so on it', async () => {
    const { id, token } = await displayToken('to revoke', ['xinhua'])
    const d = await openWall(`/wall/xinhua?token=${token}`)
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
    const { token } = await displayToken('elsewhere', ['cg-a'])
    const d = await openWall(`/wall/xinhua?token=${token}`)
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

describe.skipIf(skipWithoutChromium)('dashboard: the station board uses the width it has', () => {
  test('the demo station on a 1600-wide screen: categories side by side, a board far shorter than one long column', async () => {
    const d = await openDashboard(browser, t.base, { viewport: { width: 1600, height: 1000 } })
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    await page.selectOption('#station-picker select', 'xinhua')
    await page.goto(`${t.base}/#board`)
    await page.waitForSelector('#view-board [data-subject="item:cut-off-saw"]')
    const board = await page.evaluate(() => {
      const groups = Array.from(document.querySelectorAll('#view-board .equipment .group')).map((g) => g.getBoundingClientRect())
      const cards = Object.fromEntries(['doors', 'keys', 'equipment', 'devices'].map((k) => [k, document.querySelector(`#view-board .list-card.${k}`)!.getBoundingClientRect().toJSON()]))
      return {
        height: document.querySelector('#view-board')!.getBoundingClientRect().height,
        scrollWidth: document.scrollingElement!.scrollWidth,
        groupColumns: new Set(groups.map((r) => Math.round(r.left))).size,
        cards,
      }
    })
    // categories side by side (at least three columns of them), next to the doors, keys and devices
    expect(board.groupColumns).toBeGreaterThanOrEqual(3)
    expect(board.cards.equipment.left).toBeGreaterThan(board.cards.doors.right - 1)
    expect(board.cards.keys.top).toBeGreaterThan(board.cards.doors.bottom - 1)
    // one long column was ~3,800 px; now it is a screen and a bit
    console.log(`demo station board at 1600 wide: ${Math.round(board.height)} px tall, ${board.groupColumns} columns of categories`)
    expect(board.height).toBeLessThan(1600)
    expect(board.scrollWidth).toBeLessThanOrEqual(1600)
    await screenshot(page, 'board-demo-1600')
    expectNoPageErrors(d)
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
    const d = await openWall(`/wall/xinhua?token=${(await displayToken('many alerts', ['xinhua'])).token}`)
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

describe.skipIf(skipWithoutChromium)('dashboard: the wall screen needs no one', () => {
  test('the service restarting and the network dropping (reset, then silently): stale while away, back by itself with the current state', async () => {
    const net = await startTcpCut(t.svc.httpPort)
    const { token } = await displayToken('restart', ['xinhua'])
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
    await page.waitForSelector('body[data-link="live"]', { timeout: 20_000 })
    await expect.poll(door, { timeout: 5000 }).toBe('closed')
    expect(await page.isVisible('[data-testid=wall-stale]')).toBe(false)
    expect(await snapshots()).toBe(2)

    // 2. The network resets every connection and refuses new ones for a while.
    net.cut()
    await page.waitForSelector('[data-testid=wall-stale]', { state: 'visible', timeout: 5000 })
    await setDoor(true)
    await new Promise((r) => setTimeout(r, 1500))
    net.restore()
    await page.waitForSelector('body[data-link="live"]', { timeout: 20_000 })
    await expect.poll(door, { timeout: 5000 }).toBe('open')
    expect(await snapshots()).toBe(3)

    // 3. The network goes silent (nothing answers, nothing closes): the page's own check notices.
    net.blackhole()
    await page.waitForSelector('[data-testid=wall-stale]', { state: 'visible', timeout: 20_000 })
    await setDoor(false)
    net.restore()
    await page.waitForSelector('body[data-link="live"]', { timeout: 20_000 })
    await expect.poll(door, { timeout: 5000 }).toBe('closed')
    expect(await page.isVisible('[data-testid=wall-notice]')).toBe(false)
    expectNoPageErrors(d)
    await d.close()
    await net.close()
  }, 90_000)

  test('a service upgraded while the screen was away: on reconnecting the page loads its new files by itself', async () => {
    const net = await startTcpCut(t.svc.httpPort)
    const { token } = await displayToken('upgrade', ['xinhua'])
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
