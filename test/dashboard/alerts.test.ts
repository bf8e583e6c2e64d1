import type { MqttClient } from 'mqtt'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium, WALL } from '../helpers/browser.ts'
import { createUser, eventually, publishState, startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'

// Two stations: the usual one, and one whose alerts come quickly: critical ones escalate after a
// second, and a key is overdue after two.
const main = fixtureStation('teststation')
const fast = fixtureStation('fast', { escalateAfterSeconds: 1, keyOverdueSeconds: 2 })
fast.json.name = '快速升级站'

let t: TestService
let browser: Browser
let viewerToken: string

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations: [main, fast] }), launchBrowser()])
  await createUser(t, 'resp1', 'responder')
  viewerToken = await createUser(t, 'viewer1', 'viewer')
  // Every key in its box: any door that opens now is forced.
  for (const s of [main, fast]) {
    const kb = await t.device(`${s.id}-keybox`)
    await publishState(kb, s.id, `${s.id}-keybox`, { ts: Date.now(), seq: 1, slots: { '1': 'key-main-1', '2': 'key-room-1' } })
  }
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

let seq = 1
async function openDoor(station: string, door: 'main' | 'room'): Promise<MqttClient> {
  const id = `${station}-door-${door}`
  const c = await t.device(id)
  await publishState(c, station, id, { ts: Date.now(), seq: seq++, open: true })
  return c
}

describe.skipIf(skipWithoutChromium)('dashboard: alerts', () => {
  test('a forced door shows a critical alert with siren and notification; a responder acknowledges it with a note and the API shows who', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'resp1', 'resp1-password')
    await page.selectOption('#station-picker select', 'teststation')
    await page.click('[data-view-link=alerts]')
    await page.waitForSelector('[data-testid=no-alerts]')

    const door = await openDoor('teststation', 'main')
    const alert = page.locator('.alert[data-rule="door-forced"]').filter({ hasText: '正门 被强行打开' })
    await alert.waitFor({ timeout: 3000 })
    expect(await alert.getAttribute('data-severity')).toBe('critical')
    expect(await alert.getAttribute('class')).toContain('sev-critical')
    expect(await alert.textContent()).toContain('严重')
    await expect.poll(() => page.getAttribute('body', 'data-alarms')).toMatch(/^[1-9]/)
    await expect.poll(() => d.notifications()).toContainEqual({ title: '严重告警：测试站', body: '正门 被强行打开' })
    expect(await page.textContent('#alert-badge')).not.toBe('')
    await screenshot(page, 'alerts-zh-CN')

    // Live updates redraw the page in place: a responder's focus on the button survives them.
    await alert.locator('[data-action=ack]').focus()
    await publishState(door, 'teststation', 'teststation-door-main', { ts: Date.now(), seq: seq++, open: false })
    await page.locator('[data-subject="door:main"][data-state="closed"]').waitFor({ state: 'attached' })
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('ack')

    await alert.locator('[data-action=ack]').click()
    await page.waitForSelector('#ask-dialog[open]')
    expect(await page.textContent('#ask-text')).toBe('正门 被强行打开')
    await page.fill('#ask-note', '已派人前往现场')
    await page.click('#ask-ok')
    await expect.poll(() => alert.getAttribute('data-state')).toBe('acknowledged')
    expect(await alert.textContent()).toContain('resp1 于')
    expect(await alert.textContent()).toContain('已派人前往现场')
    expect(await alert.locator('[data-action=ack]').count()).toBe(0)

    const r = await t.api('/api/alerts?state=acknowledged&station=teststation')
    const acked = r.body.find((a: any) => a.rule === 'door-forced' && a.subject === 'door:main')
    expect(acked).toMatchObject({ state: 'acknowledged', ackedBy: 'resp1', ackNote: '已派人前往现场', severity: 'critical' })

    await alert.locator('[data-action=resolve]').click()
    await page.fill('#ask-note', '误报，门已关好')
    await page.click('#ask-ok')
    await alert.waitFor({ state: 'detached' })
    const resolved = (await t.api('/api/alerts?state=resolved&station=teststation')).body.find((a: any) => a.id === acked.id)
    expect(resolved).toMatchObject({ state: 'resolved', resolvedBy: 'resp1', resolveNote: '误报，门已关好' })
    expectNoPageErrors(d)
    await d.close()
  })

  test('a viewer sees the alert but has no acknowledge or resolve button, and the API refuses anyway', async () => {
    await openDoor('teststation', 'room')
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'viewer1', 'viewer1-password')
    await page.click('[data-view-link=alerts]')
    const alert = page.locator('.alert[data-rule="door-forced"]').filter({ hasText: '器材室 被强行打开' })
    await alert.waitFor({ timeout: 3000 })
    expect(await page.locator('#view-alerts [data-action=ack]').count()).toBe(0)
    expect(await page.locator('#view-alerts [data-action=resolve]').count()).toBe(0)
    const id = await alert.getAttribute('data-alert-id')
    const refused = await t.api(`/api/alerts/${id}/ack`, { method: 'POST', body: { note: 'x' }, token: viewerToken })
    expect(refused.status).toBe(403)
    expectNoPageErrors(d)
    await d.close()
  })

  test('an escalated critical alert stands out and is announced again', async () => {
    const d = await openDashboard(browser, t.base, { viewport: WALL })
    const { page } = d
    await logIn(page, 'resp1', 'resp1-password')
    await page.click('[data-view-link=alerts]')
    await openDoor('fast', 'main')
    const alert = page.locator('.alert.escalated[data-rule="door-forced"]').filter({ hasText: '正门 被强行打开' })
    await alert.waitFor({ timeout: 5000 })
    expect(await alert.textContent()).toContain('已升级')
    expect(await alert.textContent()).toContain('快速升级站') // two stations: each alert names its station
    await expect.poll(async () => (await d.notifications()).map((n) => n.title)).toContain('告警已升级：快速升级站')
    const outline = await alert.evaluate((el) => getComputedStyle(el).outlineStyle)
    expect(outline).toBe('solid')
    await screenshot(page, 'alerts-escalated-wall')
    expectNoPageErrors(d)
    await d.close()
  })

  test('an overdue key is highlighted on the board with who has it', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'viewer1', 'viewer1-password')
    await page.selectOption('#station-picker select', 'fast')
    const kb = await t.device('fast-keybox')
    await publishState(kb, 'fast', 'fast-keybox', { ts: Date.now(), seq: 10, slots: { '1': 'key-main-1', '2': null }, user: 'badge-0099' })
    const key = page.locator('[data-subject="key:key-room-1"]')
    await expect.poll(() => key.getAttribute('data-state')).toBe('out')
    await expect.poll(() => key.getAttribute('data-state'), { timeout: 8000 }).toBe('overdue')
    expect(await key.textContent()).toContain('逾期未还')
    expect(await key.textContent()).toContain('取用人：badge-0099')
    expect(await key.getAttribute('class')).toContain('tone-bad')
    expectNoPageErrors(d)
    await d.close()
  })

  test('a responder opens and closes an incident from the board', async () => {
    const d = await openDashboard(browser, t.base)
    const { page } = d
    await logIn(page, 'resp1', 'resp1-password')
    await page.selectOption('#station-picker select', 'teststation')
    // two stations: the dashboard opens on the overview (contract v2 §E)
    await page.click('[data-view-link=board]')
    await page.click('[data-action=open-incident]')
    await page.fill('#ask-note', '三号楼漏水，取用防汛物资')
    await page.click('#ask-ok')
    const card = page.locator('[data-testid=incident]')
    await card.waitFor({ timeout: 3000 })
    expect(await card.textContent()).toContain('应急事件处理中')
    expect(await card.textContent()).toContain('三号楼漏水，取用防汛物资')
    expect(await card.textContent()).toContain('resp1')
    const status = await t.api('/api/stations/teststation')
    expect(status.body.incident).toMatchObject({ openedBy: 'resp1', note: '三号楼漏水，取用防汛物资' })

    await page.click('[data-action=close-incident]')
    await page.click('#ask-ok')
    await page.waitForSelector('[data-action=open-incident]')
    await eventually(async () => (await t.api('/api/stations/teststation')).body.incident === null, 3000, 'incident closed')
    expectNoPageErrors(d)
    await d.close()
  })
})
