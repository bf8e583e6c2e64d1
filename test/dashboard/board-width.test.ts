// The station board on a wide screen uses its width: the demo station's categories side by side
// (a phone stays one column: board.test.ts).
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { busyDemoStation, demoFixtureStation } from '../helpers/demo-station.ts'
import { expectNoPageErrors, launchBrowser, logIn, openDashboard, screenshot, skipWithoutChromium } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, eventually, startTestService, type TestService } from '../helpers/service.ts'

let t: TestService
let browser: Browser

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService({ stations: [demoFixtureStation()] }), launchBrowser()])
  // a busy afternoon: every shelf reported, a key out, a door forced
  await busyDemoStation(t)
  await eventually(async () => (await t.api('/api/stations/xinhua')).body.doors.every((d: { open: boolean }) => d.open))
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

describe.skipIf(skipWithoutChromium)('dashboard: the station board uses the width it has', () => {
  test('the demo station on a 1600-wide screen: categories side by side, a board far shorter than one long column', async () => {
    const d = await openDashboard(browser, t.base, { viewport: { width: 1600, height: 1000 } })
    const { page } = d
    await logIn(page, 'admin', ADMIN_PASSWORD)
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
