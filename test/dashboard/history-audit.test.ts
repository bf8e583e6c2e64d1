import { readFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, createUser, publishState, startTestService, type TestService } from '../helpers/service.ts'

let t: TestService
let browser: Browser
let S: string

/** A short day at the station: the main door opens and closes, a key goes out and back, water is used. */
beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService(), launchBrowser()])
  S = t.station.id
  const [door, keybox, shelf] = await Promise.all([t.device(`${S}-door-main`), t.device(`${S}-keybox`), t.device(`${S}-shelf`)])
  const now = Date.now()
  await publishState(keybox, S, `${S}-keybox`, { ts: now, seq: 1, slots: { '1': 'key-main-1', '2': 'key-room-1' } })
  await publishState(shelf, S, `${S}-shelf`, { ts: now, seq: 1, items: { 'spreader-1': true, extinguisher: true, water: 30 } })
  await publishState(keybox, S, `${S}-keybox`, { ts: now + 1, seq: 2, slots: { '1': null, '2': 'key-room-1' }, user: 'badge-0042' })
  await publishState(door, S, `${S}-door-main`, { ts: now + 2, seq: 1, open: true })
  await publishState(shelf, S, `${S}-shelf`, { ts: now + 3, seq: 2, items: { water: 18 } })
  await publishState(door, S, `${S}-door-main`, { ts: now + 4, seq: 2, open: false })
  await publishState(keybox, S, `${S}-keybox`, { ts: now + 5, seq: 3, slots: { '1': 'key-main-1', '2': 'key-room-1' }, user: 'badge-0042' })
  await publishState(keybox, S, `${S}-keybox`, { ts: now + 6, seq: 4, slots: { '1': 'key-main-1', '2': null }, user: 'badge-0077' })
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

describe.skipIf(skipWithoutChromium)('dashboard: history and audit trail', () => {
  test('history draws door-open periods, key custody and counted stock with uPlot', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    await page.click('[data-view-link=history]')
    await page.selectOption('#view-history select[name=preset]', '1h')
    for (const subject of ['door:main', 'key:key-main-1', 'item:water']) await page.locator(`.chart[data-subject="${subject}"] canvas`).waitFor({ timeout: 5000 })
    expect(await page.textContent('.chart-group.doors h2')).toBe('门开启时段')
    expect(await page.textContent('.chart-group.keys h2')).toBe('钥匙取用')
    expect(await page.textContent('.chart-group.stock h2')).toBe('库存数量')
    // Key custody: who had which key, from when to when.
    const custody = page.locator('.chart-figure', { has: page.locator('[data-subject="key:key-main-1"]') }).locator('.custody li')
    expect(await custody.first().textContent()).toMatch(/^badge-0042：/)
    const stillOut = page.locator('.chart-figure', { has: page.locator('[data-subject="key:key-room-1"]') }).locator('.custody li.out')
    expect(await stillOut.textContent()).toContain('badge-0077')
    expect(await stillOut.textContent()).toContain('尚未归还')
    // The stock chart has the count and the minimum as series.
    expect(await page.locator('.chart[data-subject="item:water"] .u-legend').textContent()).toContain('最低库存')
    // A custom range (typed as station time) is accepted too.
    await page.selectOption('#view-history select[name=preset]', 'custom')
    await page.click('#view-history button[type=submit]')
    await page.locator('.chart[data-subject="door:main"] canvas').waitFor({ timeout: 5000 })
    await page.selectOption('#view-history select[name=preset]', '1h')
    await page.locator('.chart[data-subject="door:main"] canvas').waitFor({ timeout: 5000 })
    await screenshot(page, 'history-zh-CN')
    expectNoPageErrors(d)
    await d.close()
  })

  test('the audit trail filters by key, person and kind, and downloads what it shows as CSV', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
    await page.click('[data-view-link=audit]')
    const rows = page.locator('.audit-table tbody tr')
    await rows.first().waitFor()
    const kinds = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.kind))
    expect(kinds).toEqual(expect.arrayContaining(['door-opened', 'door-closed', 'key-taken', 'key-returned', 'count-changed']))

    // One key.
    await page.selectOption('#view-audit select[name=subject]', 'key:key-main-1')
    await page.click('#view-audit button[type=submit]')
    await expect.poll(async () => new Set(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.subject)))).toEqual(new Set(['key:key-main-1']))
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.kind))).toEqual(['key-returned', 'key-taken'])
    expect(await rows.first().textContent()).toContain('归还钥匙')
    expect(await rows.first().textContent()).toContain('正门钥匙（物业）')

    // One person, any subject.
    await page.selectOption('#view-audit select[name=subject]', '')
    await page.fill('#view-audit input[name=user]', 'badge-0077')
    await page.click('#view-audit button[type=submit]')
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().getAttribute('data-kind')).toBe('key-taken')
    expect(await rows.first().textContent()).toContain('badge-0077')

    // Doors only.
    await page.fill('#view-audit input[name=user]', '')
    await page.selectOption('#view-audit select[name=kind]', { label: '门' })
    await page.click('#view-audit button[type=submit]')
    await expect.poll(async () => new Set(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.kind)))).toEqual(new Set(['door-opened', 'door-closed']))
    await screenshot(page, 'audit-zh-CN')

    // The CSV is the same filter, from the same session.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=csv]')])
    expect(download.suggestedFilename()).toBe(`${S}-events.csv`)
    const csv = readFileSync(await download.path(), 'utf8')
    const lines = csv.replace(/^\uFEFF/, '').trim().split(/\r\n/)
    expect(lines[0]).toMatch(/^t,time,kind,subject/)
    expect(lines.slice(1).map((l) => l.split(',')[2]).sort()).toEqual(['door-closed', 'door-opened'])
    expectNoPageErrors(d)
    await d.close()
  })

  test('a viewer sees history charts but no custody names and no audit trail', async () => {
    await createUser(t, 'viewer2', 'viewer')
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'viewer2', 'viewer2-password')
    await page.click('[data-view-link=history]')
    await page.locator('.chart[data-subject="door:main"] canvas').waitFor({ timeout: 5000 })
    expect(await page.locator('.custody').count()).toBe(0)
    expect(await page.isVisible('[data-view-link=audit]')).toBe(false)
    expectNoPageErrors(d)
    await d.close()
  })
})
