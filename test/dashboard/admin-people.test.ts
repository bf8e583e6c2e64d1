// The admin view's users and wall-screen tabs (contract §4 users, §11 station scope and display
// tokens) in real Chromium against the real service: an admin creates a scoped user through the
// form (a refused field is shown beside it), that user logs in and sees only their stations, and a
// change of role, scope and password applies; an admin makes a display token for a district, the wall URL
// shown once carries a token that sees only those stations, and revoking it makes it 401. A viewer
// sees none of it; the forms fit a phone.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DESKTOP, launchBrowser, logIn, openDashboard, PHONE, screenshot, skipWithoutChromium, type DashboardPage } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, createUser, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation, type FixtureStation } from '../helpers/station-fixture.ts'

const QILIHE = '七里河街道'
const XIHU = '西湖街道'

function station(id: string, name: string, district?: string): FixtureStation {
  const s = fixtureStation(id)
  s.json.name = name
  if (district) s.json.district = district
  return s
}

const STATIONS = [station('qlh-east', '七里河东站', QILIHE), station('qlh-west', '七里河西站', QILIHE), station('xihu-1', '西湖一站', XIHU), station('loose', '未分区站')]

let t: TestService
let browser: Browser
const pages: DashboardPage[] = []

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations: STATIONS }), launchBrowser()])
  await createUser(t, 'vera', 'viewer')
})
afterAll(async () => {
  await Promise.all(pages.map((p) => p.close().catch(() => undefined)))
  await browser?.close()
  await t?.stop()
})

async function openAs(user: string, password: string, viewport = DESKTOP): Promise<DashboardPage> {
  const d = await openDashboard(browser, t.base, { viewport, isMobile: viewport === PHONE })
  pages.push(d)
  await logIn(d.page, user, password)
  return d
}

async function openTab(page: Page, tab: 'people' | 'walls'): Promise<void> {
  await page.click('[data-view-link=admin]')
  await page.click(`[data-admin-tab=${tab}]`)
  await page.waitForSelector(`#admin-panel-${tab} [data-action=${tab === 'people' ? 'new-user' : 'new-wall'}]`)
}

const fieldOf = (page: Page, name: string) => page.locator(`.admin-form .field[data-field="${name}"]`)
const input = (page: Page, name: string) => fieldOf(page, name).locator('input, select').first()
/** the group of a district in a station picker */
const group = (page: Page, district: string) => page.locator(`.admin-form .station-group[data-district="${district}"]`)

/** The station ids the page offers: the overview's cards, else the header's one station. */
function overviewStations(page: Page): Promise<string[]> {
  return page.$$eval('#view-overview [data-station]', (els) => els.map((el) => (el as HTMLElement).dataset.station!).sort())
}

function pickerStations(page: Page): Promise<string[]> {
  return page.$$eval('#station-picker option', (els) => els.map((el) => (el as HTMLOptionElement).value).sort())
}

describe.skipIf(skipWithoutChromium)('dashboard: users and wall screens in the admin view', () => {
  test('an admin creates a scoped user (a taken username is shown beside its field); the user sees only their stations; a change of role, scope and password applies', async () => {
    const d = await openAs('admin', ADMIN_PASSWORD)
    const { page } = d
    await openTab(page, 'people')
    expect(await page.locator('.admin-user[data-user=admin]').count()).toBe(1)
    expect(await page.locator('.admin-user[data-user=vera] [data-testid=user-scope]').textContent()).toBe('全部站点（含以后新增的）')

    await page.click('[data-action=new-user]')
    await input(page, 'username').fill('admin')
    await input(page, 'password').fill('wuye-password-1')
    await input(page, 'role').selectOption('viewer')
    await page.check('[data-testid=scope-some]')
    // the filter narrows the picker; "all" of the district then takes just what is shown
    await page.fill('[data-testid=station-filter]', '七里河')
    expect(await group(page, XIHU).isVisible()).toBe(false)
    await group(page, QILIHE).locator('[data-testid=district-all]').check()
    await page.fill('[data-testid=station-filter]', '')
    expect(await group(page, QILIHE).locator('input[value=qlh-east]').isChecked()).toBe(true)
    expect(await group(page, QILIHE).locator('input[value=qlh-west]').isChecked()).toBe(true)
    expect(await group(page, XIHU).locator('input[value=xihu-1]').isChecked()).toBe(false)
    expect(await page.locator('.admin-form .checks-count').textContent()).toBe('已选 2 个')

    // The service refuses the taken name; the form shows why beside the username, and keeps the rest.
    await page.click('.admin-form [data-action=submit]')
    const nameError = fieldOf(page, 'username').locator('.field-error')
    await nameError.waitFor()
    expect(await nameError.textContent()).toMatch(/already exists/)
    expect(await fieldOf(page, 'username').getAttribute('class')).toContain('invalid')
    expect(await fieldOf(page, 'password').locator('.field-error').isVisible()).toBe(false)
    await screenshot(page, 'admin-people-field-error')

    await input(page, 'username').fill('wuye')
    await page.click('.admin-form [data-action=submit]')
    await page.waitForSelector('.admin-user[data-user=wuye]')
    expect(await page.locator('#admin-panel-people .flash').textContent()).toContain('wuye')
    expect(await page.locator('.admin-user[data-user=wuye] [data-testid=user-scope]').textContent()).toBe('七里河东站、七里河西站')
    const made = (await t.api('/api/users')).body.find((u: any) => u.name === 'wuye')
    expect(made).toMatchObject({ name: 'wuye', role: 'viewer' })
    expect([...made.stations].sort()).toEqual(['qlh-east', 'qlh-west'])
    await screenshot(page, 'admin-people-list')

    // The new user, in a browser of their own, sees their two stations and nothing else.
    const w = await openAs('wuye', 'wuye-password-1')
    await w.page.goto(`${t.base}/#overview`)
    await w.page.waitForSelector('#view-overview [data-station]')
    expect(await overviewStations(w.page)).toEqual(['qlh-east', 'qlh-west'])
    expect(await pickerStations(w.page)).toEqual(['qlh-east', 'qlh-west'])
    expect(await w.page.locator('[data-view-link=admin]').isVisible()).toBe(false)
    await screenshot(w.page, 'admin-people-scoped-overview')

    // The admin makes them a responder for the east station only; their open page follows.
    await page.click('.admin-user[data-user=wuye] [data-action=edit-user]')
    expect(await page.locator('[data-testid=scope-some]').isChecked()).toBe(true)
    await input(page, 'role').selectOption('responder')
    await group(page, QILIHE).locator('input[value=qlh-west]').uncheck()
    await page.click('.admin-form [data-action=submit]')
    await page.waitForSelector('.admin-user[data-user=wuye][data-role=responder]')
    expect((await t.api('/api/users')).body.find((u: any) => u.name === 'wuye')).toMatchObject({ role: 'responder', stations: ['qlh-east'] })
    await expect.poll(() => w.page.locator('#station-picker').textContent(), { timeout: 10_000 }).toBe('七里河东站')

    // Lifting the scope (every station again) and a new password.
    await page.click('.admin-user[data-user=wuye] [data-action=edit-user]')
    await page.check('[data-testid=scope-all]')
    await input(page, 'password').fill('wuye-password-2')
    await page.click('.admin-form [data-action=submit]')
    await expect.poll(() => page.locator('.admin-user[data-user=wuye] [data-testid=user-scope]').textContent()).toBe('全部站点（含以后新增的）')
    expect((await t.api('/api/users')).body.find((u: any) => u.name === 'wuye').stations).toBeUndefined()
    expect((await t.api('/api/auth/login', { method: 'POST', body: { username: 'wuye', password: 'wuye-password-1' }, token: null })).status).toBe(401)
    expect((await t.api('/api/auth/login', { method: 'POST', body: { username: 'wuye', password: 'wuye-password-2' }, token: null })).status).toBe(200)

    // An admin taking away their own admin role is asked first; cancelling changes nothing.
    await page.click('.admin-user[data-user=admin] [data-action=edit-user]')
    await input(page, 'role').selectOption('viewer')
    await page.click('.admin-form [data-action=submit]')
    await page.locator('#ask-dialog[open]').waitFor()
    await page.click('#ask-cancel')
    expect((await t.api('/api/users')).body.find((u: any) => u.name === 'admin').role).toBe('admin')
    await page.click('.admin-form [data-action=cancel]')
    await page.waitForSelector('.admin-user[data-user=admin][data-role=admin]')
    expect(d.errors).toEqual([])
    expect(w.errors).toEqual([])
  })

  test('an admin makes a wall-screen token for a district; the URL shown once works and sees only those stations; revoking it makes it 401', async () => {
    const d = await openAs('admin', ADMIN_PASSWORD)
    const { page } = d
    await openTab(page, 'walls')
    expect(await page.locator('.admin-wall').count()).toBe(0)

    // Chosen stations, none chosen: the service's refusal is shown beside the stations.
    await page.click('[data-action=new-wall]')
    await input(page, 'name').fill('空令牌')
    await page.check('[data-testid=wall-mode-stations]')
    await page.click('.admin-form [data-action=submit]')
    const stationsError = fieldOf(page, 'stations').locator('.field-error').first()
    await stationsError.waitFor()
    expect(await stationsError.textContent()).toMatch(/at least one station/)

    await page.check('[data-testid=wall-mode-district]')
    await page.locator('.admin-form select[name=district]').selectOption(QILIHE)
    expect(await page.locator('[data-testid=district-stations]').textContent()).toContain('七里河东站')
    await input(page, 'name').fill('七里河街道值班室')
    await page.click('.admin-form [data-action=submit]')

    const dialog = page.locator('#wall-once-dialog[open]')
    await dialog.waitFor()
    expect(await dialog.locator('.secret-once').textContent()).toMatch(/只显示这一次/)
    const urls = await dialog.locator('[data-testid=wall-url]').evaluateAll((els) => els.map((el) => ({ kind: (el as HTMLElement).dataset.kind, url: (el as HTMLInputElement).value })))
    expect(urls.map((u) => u.kind)).toEqual(['district', 'station', 'station'])
    const districtUrl = new URL(urls[0]!.url)
    expect(districtUrl.origin).toBe(t.base)
    expect(districtUrl.pathname).toBe('/wall')
    expect(districtUrl.searchParams.get('district')).toBe(QILIHE)
    const token = districtUrl.searchParams.get('token')!
    expect(token).toMatch(/^swd_[A-Za-z0-9_-]{43}$/)
    expect(urls.slice(1).map((u) => new URL(u.url).pathname).sort()).toEqual(['/wall/qlh-east', '/wall/qlh-west'])
    expect(urls.every((u) => new URL(u.url).searchParams.get('token') === token)).toBe(true)
    expect(await dialog.locator('[data-testid=wall-token]').inputValue()).toBe(token)
    // The copy button puts the URL on the clipboard.
    await d.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.base })
    await dialog.locator('.wall-url').first().locator('[data-action=copy]').click()
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(urls[0]!.url)
    expect(await dialog.locator('.wall-url').first().locator('[data-action=copy]').textContent()).toBe('已复制')
    await screenshot(page, 'admin-walls-once')

    // The token from the URL, against the API: read-only, only its district's stations.
    const overview = await t.api('/api/overview', { token })
    expect(overview.status).toBe(200)
    expect(overview.body.stations.map((s: any) => s.id).sort()).toEqual(['qlh-east', 'qlh-west'])
    expect((await t.api('/api/stations/xihu-1', { token })).status).toBe(404)

    // Closing the dialog takes the token out of the page; the list shows the token without it.
    await page.click('#wall-once-dialog [data-testid=wall-once-done]')
    await expect.poll(() => page.locator('#wall-once-dialog').innerHTML()).toBe('')
    const row = page.locator('.admin-wall', { hasText: '七里河街道值班室' })
    await row.waitFor()
    expect(await row.locator('[data-testid=wall-stations]').textContent()).toBe('七里河东站、七里河西站')
    expect(await row.textContent()).toContain('admin 创建于')
    expect(await page.content()).not.toContain(token)

    // Revoke: asked first; cancelling keeps it, confirming takes it off the list and the token stops.
    await row.locator('[data-action=revoke]').click()
    await page.click('#ask-cancel')
    expect(await row.count()).toBe(1)
    await row.locator('[data-action=revoke]').click()
    await page.click('#ask-ok')
    await expect.poll(() => row.count()).toBe(0)
    expect(await page.locator('#admin-panel-walls .flash').textContent()).toContain('七里河街道值班室')
    expect((await t.api('/api/overview', { token })).status).toBe(401)
    expect((await t.api('/api/display-tokens')).body).toEqual([])

    // Chosen stations from two groups: one URL with all of them on one screen, and one per station.
    await page.click('[data-action=new-wall]')
    await input(page, 'name').fill('两站')
    await page.check('[data-testid=wall-mode-stations]')
    await page.fill('.admin-form [data-testid=station-filter]', 'xihu')
    await page.locator('.admin-form .station-group:visible [data-testid=district-all]').check()
    await page.fill('.admin-form [data-testid=station-filter]', '')
    await group(page, '').locator('input[value=loose]').check()
    await page.click('.admin-form [data-action=submit]')
    await page.locator('#wall-once-dialog[open]').waitFor()
    const two = await page.locator('#wall-once-dialog [data-testid=wall-url]').evaluateAll((els) => els.map((el) => ({ kind: (el as HTMLElement).dataset.kind, url: new URL((el as HTMLInputElement).value) })))
    expect(two.map((u) => [u.kind, u.url.pathname])).toEqual([
      ['all', '/wall'],
      ['station', '/wall/xihu-1'],
      ['station', '/wall/loose'],
    ])
    const twoToken = two[0]!.url.searchParams.get('token')!
    expect((await t.api('/api/overview', { token: twoToken })).body.stations.map((s: any) => s.id).sort()).toEqual(['loose', 'xihu-1'])
    await page.click('#wall-once-dialog [data-testid=wall-once-done]')
    expect(d.errors).toEqual([])
  })

  test('on a phone the user form and the wall URL dialog fit the width; switching to English keeps a form being filled in', async () => {
    const d = await openAs('admin', ADMIN_PASSWORD, PHONE)
    const { page } = d
    await openTab(page, 'people')
    await page.click('[data-action=new-user]')
    await page.check('[data-testid=scope-some]')
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(await overflow()).toBeLessThanOrEqual(0)
    await screenshot(page, 'admin-people-phone-form')
    // Switching language relabels the tabs and keeps the form being filled in.
    await input(page, 'username').fill('keepme')
    await page.click('#app .lang-toggle')
    await expect.poll(() => page.locator('[data-admin-tab=people]').textContent()).toBe('Users')
    expect(await input(page, 'username').inputValue()).toBe('keepme')
    await page.click('.admin-form [data-action=cancel]')
    await page.waitForSelector('.admin-user[data-user=admin]')

    await openTab(page, 'walls')
    expect(await page.locator('[data-admin-tab=walls]').textContent()).toBe('Wall screens')
    await page.click('[data-action=new-wall]')
    await page.locator('.admin-form select[name=district]').selectOption(XIHU)
    await page.click('.admin-form [data-action=submit]')
    await page.locator('#wall-once-dialog[open]').waitFor()
    expect(await page.locator('#wall-once-dialog .secret-once').textContent()).toMatch(/shown only this once/)
    expect(await overflow()).toBeLessThanOrEqual(0)
    await screenshot(page, 'admin-walls-phone-once')
    await page.click('#wall-once-dialog [data-testid=wall-once-done]')
    const row = page.locator('.admin-wall', { hasText: XIHU })
    await row.waitFor()
    expect(await row.locator('[data-testid=wall-stations]').textContent()).toBe('西湖一站')
    expect(d.errors).toEqual([])
  })

  test('a viewer has no admin view: no link, #admin opens the board, and no users or wall-screen tabs', async () => {
    const d = await openAs('vera', 'vera-password')
    const { page } = d
    expect(await page.locator('[data-view-link=admin]').isVisible()).toBe(false)
    await page.goto(`${t.base}/#admin`)
    await page.waitForSelector('body[data-auth="in"]')
    await expect.poll(() => page.evaluate(() => document.body.dataset.view)).toBe('board')
    expect(await page.locator('[data-admin-tab]').count()).toBe(0)
    expect(await page.locator('.admin-users, .admin-walls').count()).toBe(0)
    expect(d.errors).toEqual([])
  })
})
