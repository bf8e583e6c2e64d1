// The ledger (台账) in the dashboard, in real Chromium at phone size, against the real service and
// its SQLite ledger: a staff member receives, issues (first-expiring first), counts item by item and
// writes off an expired batch; the list shows expiring and expired first with badges, and so does
// the board; a viewer sees no forms; the Excel link downloads a workbook; no CSP violation anywhere.
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchBrowser, logIn, openDashboard, PHONE, screenshot, skipWithoutChromium, type DashboardPage } from '../helpers/browser.ts'
import { createUser, startTestService, type TestService } from '../helpers/service.ts'
import { readXlsx } from '../helpers/xlsx-reader.ts'
import { ledgerItem, ledgerStation, receipt } from '../service/ledger/ledger-fixture.ts'

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
const RECORD_CSP = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
`

/** A date `days` from today as the station (Asia/Shanghai) counts days. */
function stationDay(days: number): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now())
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

let t: TestService
let browser: Browser
let S: string
const batches: Record<string, any> = {}

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations: [ledgerStation()] }), launchBrowser()])
  S = t.station.id
  await createUser(t, 'stan', 'staff')
  await createUser(t, 'vera', 'viewer')
  // Bandages: one batch found expired, one expiring within its 10 warn days, one good for long.
  batches.expired = await receipt(t, { itemId: 'bandages', quantity: 8, expiresOn: stationDay(-3), note: '盘点发现过期' })
  batches.expiring = await receipt(t, { itemId: 'bandages', quantity: 6, expiresOn: stationDay(5) })
  batches.good = await receipt(t, { itemId: 'bandages', quantity: 10, expiresOn: stationDay(200), spec: '10cm×4.5m', supplier: '襄阳医疗器械' })
  batches.lateLights = await receipt(t, { itemId: 'flashlights', quantity: 3, expiresOn: stationDay(400) })
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

async function openAs(user: string, password: string): Promise<DashboardPage> {
  const d = await openDashboard(browser, t.base, { viewport: PHONE, isMobile: true })
  await d.context.addInitScript({ content: RECORD_CSP })
  await d.page.reload()
  await logIn(d.page, user, password)
  return d
}

async function expectClean(d: DashboardPage): Promise<void> {
  expect(await d.page.evaluate(() => (window as any).__csp)).toEqual([])
  expect(d.errors).toEqual([])
}

/** No element is wider than the phone's screen (nothing scrolls sideways). */
async function expectFitsPhone(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
}

const item = (page: Page, id: string) => page.locator(`.ledger-item[data-item="${id}"]`)

describe.skipIf(skipWithoutChromium)('dashboard: the ledger at phone size', () => {
  test('the list shows expired and expiring first with badges; the board carries the same badges', async () => {
    const d = await openAs('stan', 'stan-password')
    const { page } = d
    // The board: the bandages' row has the worst state of its batches; a sensed item shows the ledger's quantity.
    const bandagesRow = page.locator('[data-subject="item:bandages"]')
    await expect.poll(() => bandagesRow.getAttribute('data-expiry')).toBe('expired')
    expect(await bandagesRow.locator('.exp-badge').textContent()).toBe('已过期')
    // Counted from the ledger, not "never reported".
    expect(await bandagesRow.getAttribute('data-source')).toBe('ledger')
    expect(await bandagesRow.textContent()).toContain('按台账')
    expect(await bandagesRow.textContent()).not.toContain('从未上报')
    expect(await page.locator('[data-subject="item:water"] [data-testid=ledger-qty]').textContent()).toBe('台账可用 0')
    await screenshot(page, 'ledger-board-phone')

    await page.click('[data-view-link=ledger]')
    await page.locator('[data-testid=ledger-items]').waitFor()
    expect(await page.locator('.ledger-item').first().getAttribute('data-item')).toBe('bandages')
    const bandages = item(page, 'bandages')
    expect(await bandages.getAttribute('data-expiry')).toBe('expired')
    expect(await bandages.locator('[data-testid=quantity]').textContent()).toBe('数量 24')
    expect(await bandages.locator('[data-testid=usable]').textContent()).toBe('可用 16')
    // Batches first-expiring first, each with its state.
    expect(await bandages.locator('.batch').evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.batch, (e as HTMLElement).dataset.state]))).toEqual([
      [batches.expired.id, 'expired'],
      [batches.expiring.id, 'expiring'],
      [batches.good.id, 'ok'],
    ])
    expect(await bandages.locator(`li.batch[data-batch="${batches.expiring.id}"]`).textContent()).toContain('剩 5 天')
    expect(await page.textContent('[data-testid=ledger-summary]')).toContain('1 批已过期')
    expect(await page.textContent('[data-testid=ledger-summary]')).toContain('1 批即将过期')
    // Filter by category.
    await page.selectOption('[data-testid=ledger-category]', 'lighting')
    expect(await page.locator('.ledger-item').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.item))).toEqual(['flashlights'])
    await page.selectOption('[data-testid=ledger-category]', '')
    // Without "expiring first" the station file's order comes back.
    await page.uncheck('[data-testid=ledger-expiring-first]')
    expect(await page.locator('.ledger-item').first().getAttribute('data-item')).toBe('spreader-1')
    await page.check('[data-testid=ledger-expiring-first]')
    await expectFitsPhone(page)
    await screenshot(page, 'ledger-list-phone')

    // The expiry alerts are titled in the page's language, naming the batch.
    await page.click('[data-view-link=alerts]')
    const expiredAlert = page.locator('.alert[data-rule="expired"] .title')
    await expect.poll(() => expiredAlert.textContent()).toBe(`批次 ${batches.expired.id} 已过期`)
    await expectClean(d)
    await d.close()
  })

  test('staff: a receipt (with the API naming a wrong field), an issue first-expiring first and a 409 on over-issue', async () => {
    const d = await openAs('stan', 'stan-password')
    const { page } = d
    await page.click('[data-view-link=ledger]')
    await page.locator('[data-testid=ledger-items]').waitFor()

    await page.click('[data-testid=ledger-tools] [data-action=receipt]')
    const form = page.locator('form[data-form=receipt]')
    await form.locator('[name=itemId]').selectOption('flashlights')
    await form.locator('[name=quantity]').fill('4')
    await form.locator('[name=producedOn]').fill(stationDay(120))
    await form.locator('[name=expiresOn]').fill(stationDay(100))
    await form.locator('[name=supplier]').fill('应急物资公司')
    await form.locator('[data-action=submit]').click()
    // The service refuses an expiry before the production date; the form says so beside that field.
    const expiresField = form.locator('.field[data-field=expiresOn]')
    await expect.poll(() => expiresField.getAttribute('class')).toContain('invalid')
    expect(await expiresField.locator('.field-error').isVisible()).toBe(true)
    expect(await form.locator('[data-testid=form-error]').textContent()).toContain('body.expiresOn')
    await expectFitsPhone(page)
    await screenshot(page, 'ledger-receipt-error-phone')
    await form.locator('[name=producedOn]').fill(stationDay(-30))
    await form.locator('[data-action=submit]').click()
    const flash = page.locator('[data-testid=ledger-flash]')
    await expect.poll(() => flash.textContent()).toContain('已入库：手电筒 4 件')
    const lights = await ledgerItem(t, 'flashlights')
    expect(lights.batches.map((b: any) => [b.quantity, b.expiresOn, b.supplier])).toEqual([
      [4, stationDay(100), '应急物资公司'],
      [3, stationDay(400), undefined],
    ])
    const early = lights.batches[0].id as string
    expect(await item(page, 'flashlights').locator('[data-testid=quantity]').textContent()).toBe('数量 7')

    // An issue of more than is usable: a clear 409, nothing changed.
    await item(page, 'flashlights').locator('[data-action=issue-item]').click()
    const issue = page.locator('form[data-form=issue]')
    expect(await issue.locator('[name=itemId]').inputValue()).toBe('flashlights')
    expect(await issue.locator('[data-testid=usable]').textContent()).toContain('可用 7 件')
    await issue.locator('[name=quantity]').fill('9')
    await issue.locator('[name=reason]').selectOption('loan')
    await issue.locator('[name=note]').fill('借给3号院')
    await issue.locator('[data-action=submit]').click()
    const conflict = issue.locator('[data-testid=form-error].conflict')
    await conflict.waitFor()
    expect(await conflict.textContent()).toContain('库存不足：手电筒 可用 7 件，不能出库 9 件')
    expect(await conflict.textContent()).toContain('only 7 usable')
    await screenshot(page, 'ledger-issue-409-phone')
    expect((await ledgerItem(t, 'flashlights')).quantity).toBe(7)

    // Five: the batch that expires first is emptied, then the next one.
    await issue.locator('[name=quantity]').fill('5')
    await issue.locator('[data-action=submit]').click()
    const taken = page.locator('[data-testid=taken] li')
    await taken.first().waitFor()
    expect(await taken.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.batch))).toEqual([early, batches.lateLights.id])
    expect(await taken.nth(0).textContent()).toContain('出 4 件，剩 0 件')
    expect(await taken.nth(1).textContent()).toContain('出 1 件，剩 2 件')
    await expectFitsPhone(page)
    await screenshot(page, 'ledger-issue-fifo-phone')
    const after = await ledgerItem(t, 'flashlights')
    expect(after).toMatchObject({ quantity: 2, usable: 2 })
    const moves = await t.api(`/api/stations/${S}/ledger/movements`)
    expect(moves.body.filter((m: any) => m.kind === 'issue').map((m: any) => [m.batchId, m.quantity, m.by, m.note])).toEqual([
      [early, 4, 'stan', '借给3号院'],
      [batches.lateLights.id, 1, 'stan', '借给3号院'],
    ])
    await expectClean(d)
    await d.close()
  })

  test('staff: a count walks the shelves one item per screen, then writes off the expired batch', async () => {
    const d = await openAs('stan', 'stan-password')
    const { page } = d
    await page.click('[data-view-link=ledger]')
    await page.locator('[data-testid=ledger-items]').waitFor()
    const book = Object.fromEntries(((await t.api(`/api/stations/${S}/ledger`)).body as any[]).map((i) => [i.itemId, i.quantity]))

    await page.click('[data-testid=ledger-tools] [data-action=count]')
    const walk = page.locator('[data-form=count]')
    const order: string[] = []
    for (;;) {
      const step = walk.locator('.count-step')
      if ((await step.count()) === 0) break
      const id = (await step.getAttribute('data-item'))!
      order.push(id)
      expect(await walk.locator('[data-testid=count-progress]').textContent()).toContain(`第 ${order.length} / 6 项`)
      const value = walk.locator('.count-value')
      expect(await value.inputValue()).toBe(String(book[id]))
      if (id === 'bandages') {
        await walk.locator('[data-action=minus]').click()
        await walk.locator('[data-action=minus]').click()
        await expect.poll(() => value.inputValue()).toBe(String(book[id] - 2))
        await expectFitsPhone(page)
        await screenshot(page, 'ledger-count-step-phone')
      }
      if (id === 'flashlights') await walk.locator('[data-action=plus]').click()
      if (id === 'aed-pads') await value.fill('1')
      await walk.locator('[data-action=next]').click()
    }
    expect(order).toEqual(['spreader-1', 'extinguisher', 'water', 'bandages', 'aed-pads', 'flashlights'])
    const diffs = walk.locator('[data-testid=count-diffs] li.differs')
    expect(await diffs.evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.item, e.querySelector('.diff')?.textContent]))).toEqual([
      ['bandages', '-2'],
      ['aed-pads', '+1'],
      ['flashlights', '+1'],
    ])
    await walk.locator('textarea[name=note]').fill('月度盘点')
    await screenshot(page, 'ledger-count-review-phone')
    await walk.locator('[data-action=submit]').click()
    const result = page.locator('[data-testid=count-result] li')
    await result.first().waitFor()
    expect(await result.count()).toBe(3)
    expect(await page.textContent('[data-testid=ledger-flash]')).toContain('已盘点 6 项，3 项有差异')
    expect((await ledgerItem(t, 'bandages')).quantity).toBe(book.bandages - 2)
    expect((await ledgerItem(t, 'aed-pads')).quantity).toBe(1)
    expect((await ledgerItem(t, 'flashlights')).quantity).toBe(book.flashlights + 1)
    const counts = (await t.api(`/api/stations/${S}/ledger/movements`)).body.filter((m: any) => m.kind === 'count')
    expect(counts.length).toBeGreaterThanOrEqual(6)
    expect(counts.every((m: any) => m.by === 'stan' && m.note === '月度盘点')).toBe(true)

    // The shortage came off the expired batch (first-expiring first); write off what is left of it.
    const expiredLeft = (await ledgerItem(t, 'bandages')).batches.find((b: any) => b.id === batches.expired.id).quantity
    expect(expiredLeft).toBe(6)
    await item(page, 'bandages').locator(`[data-action=write-off-batch][data-batch="${batches.expired.id}"]`).click()
    const wo = page.locator('form[data-form=write-off]')
    expect(await wo.locator('[name=batchId]').inputValue()).toBe(batches.expired.id)
    expect(await wo.locator('[name=reason]').inputValue()).toBe('expired')
    expect(await wo.locator('[data-testid=chosen-batch]').textContent()).toContain(`弹性绷带 批次 ${batches.expired.id} · 6 件`)
    expect(await wo.locator('[data-testid=chosen-batch] .exp-badge').textContent()).toBe('已过期')
    expect(await wo.locator('[name=quantity]').getAttribute('placeholder')).toBe('整批 6 件')
    await expectFitsPhone(page)
    await screenshot(page, 'ledger-write-off-phone')
    // More than the batch holds: a 409, shown as such.
    await wo.locator('[name=quantity]').fill('7')
    await wo.locator('[data-action=submit]').click()
    await wo.locator('[data-testid=form-error].conflict').waitFor()
    expect(await wo.locator('[data-testid=form-error]').textContent()).toContain('该批次只有 6 件')
    await wo.locator('[name=quantity]').fill('')
    await wo.locator('[data-action=submit]').click()
    await expect.poll(() => page.textContent('[data-testid=ledger-flash]')).toContain(`批次 ${batches.expired.id} 6 件，剩 0 件`)
    // No expired batch left: the bandages are "expiring" now, in the list and on the board.
    await expect.poll(() => item(page, 'bandages').getAttribute('data-expiry')).toBe('expiring')
    expect(await item(page, 'bandages').locator(`li.batch[data-batch="${batches.expired.id}"]`).count()).toBe(0)
    expect(await page.textContent('[data-testid=ledger-summary]')).not.toContain('已过期')
    await screenshot(page, 'ledger-after-write-off-phone')
    await page.click('[data-view-link=board]')
    await expect.poll(() => page.getAttribute('[data-subject="item:bandages"]', 'data-expiry')).toBe('expiring')
    // The expired alert resolved itself once the batch held nothing.
    await page.click('[data-view-link=alerts]')
    await expect.poll(() => page.locator('.alert[data-rule="expired"]').count()).toBe(0)
    await expectClean(d)
    await d.close()
  })

  test('the Excel link downloads the workbook with the session cookie', async () => {
    const d = await openAs('stan', 'stan-password')
    const { page } = d
    await page.click('[data-view-link=ledger]')
    const link = page.locator('[data-action=export]')
    await link.waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    const file = readFileSync(await download.path())
    expect(file.subarray(0, 2).toString()).toBe('PK')
    expect(readXlsx(file).map((s) => s.name)).toEqual(['明细表', '入库表', '出库表', '盘点表', '报废表'])
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/)
    await expectClean(d)
    await d.close()
  })

  test('a viewer sees the ledger but no forms, no write-off buttons and no export', async () => {
    const d = await openAs('vera', 'vera-password')
    const { page } = d
    await page.click('[data-view-link=ledger]')
    await page.locator('[data-testid=ledger-items]').waitFor()
    expect(await item(page, 'bandages').getAttribute('data-expiry')).toBe('expiring')
    expect(await page.locator('[data-testid=ledger-tools]').count()).toBe(0)
    expect(await page.locator('#view-ledger').locator('[data-action=write-off-batch], .item-actions, [data-action=export], form').count()).toBe(0)
    await expectFitsPhone(page)
    await screenshot(page, 'ledger-viewer-phone')
    // In English too.
    await page.click('#app .lang-toggle')
    await expect.poll(() => page.textContent('#view-ledger h2')).toContain('Ledger')
    expect(await item(page, 'bandages').locator('.exp-badge').first().textContent()).toBe('Expiring')
    expect(await item(page, 'bandages').locator('[data-testid=usable]').textContent()).toBe('usable 16')
    await expectFitsPhone(page)
    await screenshot(page, 'ledger-viewer-phone-en')
    await expectClean(d)
    await d.close()
  })
})
