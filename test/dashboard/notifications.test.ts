// Contract v2 §B in the dashboard (real Chromium): an alert's delivery log in its card, kept
// current as messages go out, and, for admins, a test message per channel with its result.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium } from '../helpers/browser.ts'
import { createUser, eventually } from '../helpers/service.ts'
import { startNotifyRig, type NotifyRig } from '../helpers/notify-rig.ts'

let rig: NotifyRig
let browser: Browser
let dingtalkFails = false

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[rig, browser] = await Promise.all([
    startNotifyRig(
      [
        {
          stations: ['*'],
          severities: ['critical'],
          steps: [
            { afterSeconds: 0, channels: ['team-wecom', 'team-dingtalk'] },
            { afterSeconds: 2, channels: ['sms'], to: ['zhang'] },
          ],
        },
      ],
      { answers: { dingtalk: () => (dingtalkFails ? { json: { errcode: 310000, errmsg: 'sign not match' } } : { json: { errcode: 0, errmsg: 'ok' } }) } },
    ),
    launchBrowser(),
  ])
  await createUser(rig.t, 'viewer1', 'viewer')
})
afterAll(async () => {
  await browser?.close()
  await rig?.stop()
})

describe.skipIf(skipWithoutChromium)('dashboard: notifications', () => {
  test('the alert view shows who was told and when: group robots at once, the SMS to 张三 when step 1 fires', async () => {
    const d = await openDashboard(browser, rig.t.base)
    const { page } = d
    await logIn(page, 'viewer1', 'viewer1-password')
    await page.click('[data-view-link=alerts]')
    await page.waitForSelector('[data-testid=no-alerts]')
    expect(await page.locator('[data-testid=notify-channels]').count()).toBe(0) // admins only

    const alert = await rig.forceDoor()
    const card = page.locator(`.alert[data-alert-id="${alert.id}"]`)
    await card.waitFor({ timeout: 3000 })
    const log = card.locator('[data-testid=deliveries]')
    await expect.poll(() => log.textContent(), { timeout: 5000 }).toMatch(/企业微信群 \d\d:\d\d(:\d\d)? 已发送/)
    expect(await log.textContent()).toMatch(/钉钉群 \d\d:\d\d(:\d\d)? 已发送/)
    expect(await log.textContent()).not.toContain('短信')

    // step 1 comes with no change of the alert: the card looks again by itself
    await eventually(() => rig.sms.requests.length >= 1, 5000, 'the SMS of step 1')
    await expect.poll(() => log.textContent(), { timeout: 8000 }).toMatch(/短信 张三 \d\d:\d\d(:\d\d)? 已发送/)
    const text = (await log.textContent())!
    expect(text.indexOf('企业微信群')).toBeLessThan(text.indexOf('短信'))
    expect(text).toContain(' · ')
    expect(await card.locator('.delivery[data-channel="sms"]').getAttribute('data-status')).toBe('sent')

    // an acknowledgement redraws the card and the log stays
    expect((await rig.t.api(`/api/alerts/${alert.id}/ack`, { method: 'POST', body: { note: '已到场' } })).status).toBe(200)
    await expect.poll(() => card.getAttribute('data-state')).toBe('acknowledged')
    expect(await log.textContent()).toMatch(/短信 张三/)
    await screenshot(page, 'alerts-delivery-log-zh-CN')

    // English
    await page.locator('.lang-toggle:visible').click()
    await expect.poll(() => log.textContent()).toMatch(/WeCom group \d\d:\d\d(:\d\d)? sent/)
    expect(await log.textContent()).toMatch(/SMS 张三 \d\d:\d\d(:\d\d)? sent/)
    expectNoPageErrors(d)
    await d.close()
  })

  test('an admin sends a test message per channel and sees the result, sent or failed with the vendor’s error', async () => {
    const d = await openDashboard(browser, rig.t.base)
    const { page } = d
    await logIn(page, 'admin', 'admin-test-password')
    await page.click('[data-view-link=alerts]')
    const panel = page.locator('[data-testid=notify-channels]')
    await panel.waitFor({ timeout: 5000 })
    expect(await panel.locator('li[data-channel]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.channel))).toEqual(['sms', 'team-dingtalk', 'team-wecom'])

    const before = rig.wecom.requests.length
    const wecom = panel.locator('li[data-channel="team-wecom"]')
    await wecom.locator('[data-action=notify-test]').click()
    await expect.poll(() => wecom.locator('[data-testid=notify-test-result]').textContent().catch(() => null)).toMatch(/^测试消息已发送/)
    expect(rig.wecom.requests.length).toBe(before + 1)
    expect(rig.wecom.requests.at(-1)!.raw).toContain('测试消息')
    await expect.poll(() => wecom.textContent()).toContain('上次成功')

    dingtalkFails = true
    const ding = panel.locator('li[data-channel="team-dingtalk"]')
    await ding.locator('[data-action=notify-test]').click()
    await expect.poll(() => ding.locator('[data-testid=notify-test-result]').textContent().catch(() => null)).toBe('测试消息发送失败：errcode 310000: sign not match')
    await expect.poll(() => ding.textContent()).toContain('上次失败')
    await screenshot(page, 'alerts-notify-channels-admin')
    expectNoPageErrors(d)
    await d.close()
  })
})
