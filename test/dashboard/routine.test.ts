// The routine (巡检) in the dashboard, in real Chromium at phone size, against the real service on an
// injected clock: a responder walks an overdue checklist one item per screen (one item not ok, one
// left out so the service's 400 naming it shows), the overdue badge clears and "done (late)" shows;
// a drill is started, acknowledged in the alert list under its 演练 badge, ended, and its response
// time shows; a training is recorded; a viewer sees no forms; no CSP violation, no sideways scroll.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchBrowser, logIn, openDashboard, PHONE, screenshot, skipWithoutChromium, type DashboardPage } from '../helpers/browser.ts'
import { FakeTime } from '../helpers/fake-time.ts'
import { createUser, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
const RECORD_CSP = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
`

const ZONE = 'Asia/Shanghai'
/** Waits that survive a loaded machine (the default poll gives up after one second). */
const WAIT = { timeout: 10_000 }
const wall = (ms: number, opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, ...opts }).format(ms)
/** `HH:MM` at the station. */
const hhmm = (ms: number) => wall(ms, { hourCycle: 'h23', hour: '2-digit', minute: '2-digit' })
/** `YYYY-MM` at the station. */
const month = (ms: number) => wall(ms, { year: 'numeric', month: '2-digit' }).slice(0, 7)

// The service's clock starts at the real time (the browser's clock is real) and is moved by hand.
const time = new FakeTime(Date.now())
// A daily inspection due a minute or two from the start, so that moving three minutes makes it overdue.
const DUE = hhmm(time.now() + 120_000)

function routineFixture() {
  const st = fixtureStation('routineui')
  st.json.inspections = [
    {
      id: 'daily',
      name: '每日巡检',
      every: 'day',
      due: DUE,
      items: [
        { id: 'doors', text: '两扇门开关正常' },
        { id: 'spreader', text: '液压破拆工具在位、油量正常' },
        { id: 'extinguisher', text: '灭火器压力在绿区' },
      ],
    },
  ]
  return st
}

let t: TestService
let browser: Browser
let S: string

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations: [routineFixture()], clock: time, timers: time }), launchBrowser()])
  S = t.station.id
  await createUser(t, 'li', 'responder')
  await createUser(t, 'vera', 'viewer')
  time.advance(3 * 60_000)
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

async function openAs(user: string): Promise<DashboardPage> {
  const d = await openDashboard(browser, t.base, { viewport: PHONE, isMobile: true })
  await d.context.addInitScript({ content: RECORD_CSP })
  await d.page.reload()
  await logIn(d.page, user, `${user}-password`)
  return d
}

async function expectClean(d: DashboardPage): Promise<void> {
  expect(await d.page.evaluate(() => (window as any).__csp)).toEqual([])
  expect(d.errors).toEqual([])
}

/** Nothing scrolls sideways on the phone. */
async function expectFitsPhone(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
}

async function openRoutine(page: Page): Promise<void> {
  await page.click('[data-view-link=routine]')
  await page.locator('.inspection[data-inspection=daily]').waitFor()
}

describe.skipIf(skipWithoutChromium)('dashboard: the routine at phone size', () => {
  test('a responder walks the overdue checklist, one item not ok; the 400 naming a left-out item shows; done (late) and the badge clears', async () => {
    const d = await openAs('li')
    const { page } = d
    await openRoutine(page)
    const card = page.locator('.inspection[data-inspection=daily]')
    expect(await card.getAttribute('data-overdue')).toBe('true')
    expect(await card.locator('[data-testid=overdue-badge]').textContent()).toBe('已逾期')
    expect(await card.locator('[data-testid=schedule]').textContent()).toBe(`每天 ${DUE} · 3 项`)
    // the missed due time, in the station's zone
    expect(await card.locator('[data-testid=next-due]').textContent()).toContain(`${DUE}:00`)
    expect(await card.locator('[data-testid=last-done]').textContent()).toBe('尚未检查过')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-overdue-phone')

    await card.locator('[data-action=walk]').click()
    const walk = page.locator('[data-form=inspection-run]')
    expect(await walk.locator('[data-testid=walk-progress]').textContent()).toContain('第 1 / 3 项')
    expect(await walk.locator('.walk-item').textContent()).toBe('两扇门开关正常')
    await walk.locator('[data-action=ok]').click()
    // the spreader is left out on purpose
    expect(await walk.locator('.walk-item').textContent()).toBe('液压破拆工具在位、油量正常')
    await walk.locator('[data-action=next]').click()
    await expect.poll(() => walk.locator('.walk-item').textContent()).toBe('灭火器压力在绿区')
    await walk.locator('[data-action=not-ok]').click()
    await walk.locator('textarea[name=note]').fill('压力表指针在红区')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-walk-item-phone')
    await walk.locator('[data-action=next]').click()

    // The review: the service refuses the unanswered item and the page says which one.
    expect(await walk.locator('li[data-item=spreader]').getAttribute('data-answer')).toBe('unanswered')
    await walk.locator('[data-action=submit]').click()
    const spreader = walk.locator('li[data-field="results.spreader"]')
    await expect.poll(() => spreader.getAttribute('class'), WAIT).toContain('invalid')
    expect(await spreader.locator('.field-error').textContent()).toContain('must be answered')
    expect(await walk.locator('[data-testid=form-error]').textContent()).toContain('body.results.spreader')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-walk-400-phone')

    await spreader.locator('[data-action=goto]').click()
    await walk.locator('[data-action=ok]').click()
    // the not-ok answer and its note were kept
    expect(await walk.locator('[data-action=not-ok]').getAttribute('aria-pressed')).toBe('true')
    expect(await walk.locator('textarea[name=note]').inputValue()).toBe('压力表指针在红区')
    await walk.locator('[data-action=next]').click()
    await walk.locator('[data-action=submit]').click()

    const flash = page.locator('[data-testid=routine-flash]')
    await expect.poll(() => flash.textContent(), WAIT).toContain('每日巡检：已完成（逾期）')
    expect(await flash.textContent()).toContain('1 项不合格')
    expect(await flash.locator('[data-state]').getAttribute('data-state')).toBe('late')
    await expect.poll(() => card.getAttribute('data-overdue'), WAIT).toBe('false')
    expect(await card.locator('[data-testid=overdue-badge]').count()).toBe(0)
    expect(await card.locator('[data-testid=last-done]').textContent()).toContain('li')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-done-late-phone')

    // What the service recorded is what was walked.
    const runs = (await t.api(`/api/stations/${S}/inspections/daily/runs`)).body as any[]
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ by: 'li', late: true, results: { doors: { ok: true }, spreader: { ok: true }, extinguisher: { ok: false, note: '压力表指针在红区' } } })

    // Staff and up see the run history.
    await card.locator('[data-action=runs]').click()
    const history = card.locator('[data-testid=run-history]')
    await expect.poll(() => history.textContent(), WAIT).toContain('逾期完成')
    expect(await history.textContent()).toContain('压力表指针在红区')

    // The failed item is an alert named after the inspection and the item; the overdue one is resolved.
    await page.click('[data-view-link=alerts]')
    const failed = page.locator('.alert[data-rule="inspection-failed"] .title')
    await expect.poll(() => failed.textContent(), WAIT).toBe('检查项 每日巡检 · 灭火器压力在绿区 不合格')
    expect(await page.locator('.alert[data-rule="inspection-overdue"]').count()).toBe(0)
    await expectClean(d)
    await d.close()
  })

  test('a drill: started, acknowledged under its 演练 badge apart from real alerts, ended; each response time shows', async () => {
    const d = await openAs('li')
    const { page } = d
    await openRoutine(page)
    await page.click('[data-action=start-drill]')
    const form = page.locator('form[data-form=drill]')
    expect(await form.locator('select[name=rule]').inputValue()).toBe('door-forced')
    await form.locator('textarea[name=note]').fill('夜间响应演练')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-drill-form-phone')
    await form.locator('[data-action=submit]').click()
    await expect.poll(() => page.locator('[data-testid=routine-flash]').textContent(), WAIT).toContain('演练已开始：强行开门')
    const drill = page.locator('.drill[data-open=true]')
    await drill.waitFor()
    expect(await drill.locator('[data-testid=drill-open]').textContent()).toBe('进行中')
    expect(await page.locator('[data-action=start-drill]').count()).toBe(0)

    // 42 s pass on the service's clock before the responder acknowledges.
    time.advance(42_000)
    await page.click('[data-view-link=alerts]')
    const drillAlert = page.locator('[data-testid=drill-alerts] .alert[data-drill=true]')
    await drillAlert.waitFor()
    expect(await drillAlert.locator('[data-testid=drill-badge]').textContent()).toBe('演练')
    expect(await drillAlert.locator('.title').textContent()).toContain('【演练】')
    // Real alerts stay apart: the list's count and the tab's badge are the real failed-item alert only.
    expect(await page.locator('.alert-list:not(.drill-alerts) .alert[data-drill=true]').count()).toBe(0)
    expect(await page.locator('.alerts-head .count').textContent()).toBe('1')
    expect(await page.locator('#alert-badge').textContent()).toBe('1')
    await drillAlert.locator('[data-action=ack]').click()
    await page.fill('#ask-note', '已到场')
    await page.click('#ask-ok')
    await expect.poll(() => drillAlert.getAttribute('data-state'), WAIT).toBe('acknowledged')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-drill-alert-phone')

    await openRoutine(page)
    const response = page.locator('.drill [data-testid=drill-responses] li[data-user=li]')
    await expect.poll(() => response.getAttribute('data-seconds'), WAIT).toBe('42')
    expect(await response.textContent()).toBe('li：42 秒 确认')
    await page.locator('.drill[data-open=true] [data-action=end-drill]').click()
    await page.locator('.drill[data-open=false]').waitFor()
    await page.locator('[data-action=start-drill]').waitFor()
    expect(await page.locator('.drill[data-open=false]').textContent()).toContain('由 li 结束')

    // The figures for this month: the drill's 42 s, apart from the real alerts.
    const now = month(time.now())
    await page.locator('[data-testid=ack-month]').fill(now)
    const drillAll = page.locator('.ack-side[data-kind=drill] tr[data-key=all]')
    await expect.poll(() => drillAll.textContent(), WAIT).toBe('全部142 秒42 秒')
    expect(await page.locator('.ack-side[data-kind=drill] tr[data-key="person:li"]').textContent()).toContain('42 秒')
    expect(await page.locator('.ack-side[data-kind=real] tr[data-key=all]').textContent()).not.toContain('42 秒')
    const report = page.locator('a[data-action=report]')
    const href = (await report.getAttribute('href')) ?? ''
    expect(href).toBe(`/api/stations/${S}/report?month=${now}&format=xlsx`)
    const download = await page.request.get(t.base + href)
    expect(download.status()).toBe(200)
    expect(download.headers()['content-type']).toContain('spreadsheetml')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-drill-done-phone')
    await expectClean(d)
    await d.close()
  })

  test('a training is recorded; a viewer sees the routine but no form, button or figures', async () => {
    const d = await openAs('li')
    await openRoutine(d.page)
    await d.page.click('[data-action=add-training]')
    const form = d.page.locator('form[data-form=training]')
    await form.locator('[name=topic]').fill('心肺复苏与AED')
    await form.locator('[name=participants]').fill('li\n张伟，王芳')
    await form.locator('[name=hours]').fill('2.5')
    await expectFitsPhone(d.page)
    await form.locator('[data-action=submit]').click()
    await expect.poll(() => d.page.locator('[data-testid=routine-flash]').textContent(), WAIT).toContain('已记录培训“心肺复苏与AED”，3 人参加')
    expect(await d.page.locator('.training').first().textContent()).toContain('2.5 小时 · 3 人：li、张伟、王芳')
    await expectClean(d)
    await d.close()

    const v = await openAs('vera')
    const { page } = v
    await openRoutine(page)
    await page.locator('.drill').first().waitFor()
    await page.locator('.training').first().waitFor()
    for (const sel of ['[data-action=walk]', '[data-action=runs]', '[data-action=start-drill]', '[data-action=end-drill]', '[data-action=add-training]', '[data-section=ack-times]', 'a[data-action=report]', 'form']) {
      expect(await page.locator(`#view-routine ${sel}`).count(), sel).toBe(0)
    }
    expect(await page.locator('.inspection[data-inspection=daily] [data-testid=last-done]').textContent()).toContain('li')
    await expectFitsPhone(page)
    await screenshot(page, 'routine-viewer-phone')
    // and in English
    await page.click('.topbar .lang-toggle')
    await expect.poll(() => page.locator('#view-routine h2').textContent(), WAIT).toContain('Inspections and drills')
    expect(await page.locator('.inspection[data-inspection=daily] [data-testid=schedule]').textContent()).toBe(`Daily ${DUE} · 3 items`)
    expect(await page.locator('.drill [data-testid=drill-responses] li[data-user=li]').textContent()).toBe('li: acknowledged in 42 s')
    await expectFitsPhone(page)
    await expectClean(v)
    await v.close()
  })
})
