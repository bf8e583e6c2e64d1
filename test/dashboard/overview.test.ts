import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium, WALL } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, eventually, publishState, publishStatus, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation, type FixtureStation } from '../helpers/station-fixture.ts'

// 50 stations in three districts, every fourth one without a district.
const DISTRICTS = ['七里河街道', '城关街道', '西湖街道', undefined]
const stations: FixtureStation[] = Array.from({ length: 50 }, (_, i) => {
  const s = fixtureStation(`st-${String(i + 1).padStart(2, '0')}`)
  s.json.name = `应急服务站 ${i + 1}`
  const district = DISTRICTS[i % DISTRICTS.length]
  if (district) s.json.district = district
  return s
})

const CSP_RECORD = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
`

let t: TestService
let browser: Browser
let seq = 1

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations }), launchBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

/** A door opened with no key out of the box: forced, a critical alert, the station not ready. */
async function forceDoor(station: string): Promise<void> {
  const id = `${station}-door-main`
  await publishState(await t.device(id), station, id, { ts: Date.now(), seq: seq++, open: true })
}

/** One device online and its door closed: readiness above 0. */
async function doorOnline(station: string, battery = 90): Promise<void> {
  const id = `${station}-door-main`
  const c = await t.device(id)
  await publishStatus(c, station, id, { online: true, battery })
  await publishState(c, station, id, { ts: Date.now(), seq: seq++, open: false })
}

/** The overview as the page shows it: district groups in order, each with its station ids in order. */
function shown(page: Page): Promise<{ district: string; stations: string[]; critical: string[] }[]> {
  return page.$$eval('#view-overview .overview-group', (groups) =>
    groups.map((g) => ({
      district: (g as HTMLElement).dataset.district ?? '',
      stations: Array.from(g.querySelectorAll<HTMLElement>('[data-station]')).map((el) => el.dataset.station!),
      critical: Array.from(g.querySelectorAll<HTMLElement>('[data-station].sev-critical')).map((el) => el.dataset.station!),
    })),
  )
}

/** What the page should show, worked out from GET /api/overview (the service's order). */
async function expected(): Promise<{ district: string; stations: string[] }[]> {
  const rows = (await t.api('/api/overview')).body.stations as { id: string; district?: string }[]
  const groups = new Map<string, string[]>()
  for (const r of rows) groups.set(r.district ?? '', [...(groups.get(r.district ?? '') ?? []), r.id])
  return [...groups].map(([district, ids]) => ({ district, stations: ids }))
}

describe.skipIf(skipWithoutChromium)('dashboard: the overview of many stations', () => {
  test('opens on 50 stations worst first, grouped by district; a station changing level moves live; a click opens its board', async () => {
    await forceDoor('st-07')
    await doorOnline('st-13')
    await doorOnline('st-22', 5) // a low battery: an info alert
    await eventually(async () => (await t.api('/api/overview')).body.stations[0].id === 'st-07')

    const d = await openDashboard(browser, t.base, { viewport: WALL })
    const { page } = d
    await page.addInitScript({ content: CSP_RECORD })
    const doc = await page.reload()
    expect(doc!.headers()['content-security-policy']).toMatch(/script-src 'self'/)
    await logIn(page, 'admin', ADMIN_PASSWORD)

    // It opens on the overview, in Chinese, with every station.
    await page.waitForSelector('body[data-view="overview"] #view-overview [data-station="st-50"]')
    expect(await page.locator('#view-overview [data-station]').count()).toBe(50)
    await expect.poll(() => shown(page).then((g) => g.map(({ district, stations }) => ({ district, stations })))).toEqual(await expected())
    let groups = await shown(page)
    // st-07 (西湖街道) is not ready, so its district leads; the others are all degraded at 0 and
    // follow in the order of their first station (st-01, st-02, st-04).
    expect(groups.map((g) => g.district)).toEqual(['西湖街道', '七里河街道', '城关街道', ''])
    expect(groups.map((g) => g.stations.length)).toEqual([12, 13, 13, 12])
    expect(groups[0]!.stations[0]).toBe('st-07')
    expect(groups[0]!.critical).toEqual(['st-07'])
    const top = page.locator('[data-station="st-07"]')
    expect(await top.getAttribute('data-level')).toBe('not-ready')
    expect(await top.getAttribute('class')).toContain('sev-critical')
    expect(await top.textContent()).toContain('严重')
    expect(await top.textContent()).toContain('未就绪')
    expect(await page.locator('[data-station="st-22"]').getAttribute('data-severity')).toBe('info')
    expect(await page.locator('[data-station="st-22"]').getAttribute('class')).not.toContain('sev-critical')
    expect(await page.locator('#view-overview .overview-group[data-district=""] h2').textContent()).toContain('未划分街道')
    await screenshot(page, 'overview-zh-CN')

    // A station changing level moves live, with no reload: st-44 (no district) is forced open.
    const before = (await shown(page)).find((g) => g.district === '')!
    expect(before.stations[0]).not.toBe('st-44')
    await forceDoor('st-44')
    await expect.poll(() => shown(page).then((g) => g.find((x) => x.district === '')!.stations[0]), { timeout: 3000 }).toBe('st-44')
    groups = await shown(page)
    expect(groups.find((x) => x.district === '')!.critical).toEqual(['st-44'])
    await expect.poll(() => shown(page).then((g) => g.map(({ district, stations }) => ({ district, stations })))).toEqual(await expected())

    // English on request.
    await page.click('#app .lang-toggle')
    await expect.poll(() => page.locator('#view-overview .overview-group[data-district=""] h2').textContent()).toContain('No district')
    expect(await top.textContent()).toContain('Not ready')
    await screenshot(page, 'overview-en')

    // A click opens the station's board.
    await page.locator('[data-station="st-22"]').click()
    await page.waitForSelector('body[data-view="board"]')
    expect(await page.inputValue('#station-picker select')).toBe('st-22')
    expect(await page.textContent('[data-testid=readiness]')).toBe(String((await t.api('/api/stations/st-22')).body.readiness))

    expect(await page.evaluate(() => (window as any).__csp)).toEqual([])
    expectNoPageErrors(d)
    await d.close()
  })
})
