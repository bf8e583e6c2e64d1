// The dashboard works under the Content-Security-Policy, over HTTP and over HTTPS (wss:, Secure
// cookie, upgrade-insecure-requests), in Debian's Chromium: every view, uPlot charts, a critical
// alert with its notification and siren, and logging out. Any CSP violation fails the test.
import mqtt from 'mqtt'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startService, type RunningService } from '../../src/service.ts'
import { CHROMIUM_PATH, launchBrowser, logIn, skipWithoutChromium } from '../helpers/browser.ts'
import { fixtureDevices } from '../helpers/contract.ts'
import { fixtureStation, tempDir, writeStations } from '../helpers/station-fixture.ts'
import { makeCert } from '../helpers/tls-and-logs.ts'

const ADMIN_PASSWORD = 'csp-admin-password'

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
const RECORD = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  window.__notifications = [];
  window.Notification = class {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted') }
    constructor(title) { window.__notifications.push(title) }
    close() {}
  };
`

let browser: Browser
beforeAll(async () => {
  if (!skipWithoutChromium) browser = await launchBrowser()
})
afterAll(() => browser?.close())

async function exercise(base: string, svc: RunningService, station: ReturnType<typeof fixtureStation>): Promise<void> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
  context.setDefaultTimeout(10_000)
  await context.addInitScript({ content: RECORD })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection/.test(m.text())) errors.push(`console: ${m.text()}`)
  })
  try {
    const doc = await page.goto(base + '/')
    expect(doc!.headers()['content-security-policy']).toMatch(/script-src 'self'/)
    await logIn(page, 'admin', ADMIN_PASSWORD)

    // A forced door: a critical alert arrives over /ws, with a notification.
    const dev = fixtureDevices(station.id)
    const mk = (id: string) => mqtt.connectAsync(`mqtt://127.0.0.1:${svc.mqttPort}`, { protocolVersion: 4, clientId: id, username: id, password: station.secrets[id], reconnectPeriod: 0 })
    const [keybox, door] = await Promise.all([mk(dev.keybox), mk(dev.doorMain)])
    const now = Date.now()
    await keybox.publishAsync(`stations/${station.id}/devices/${dev.keybox}/state`, JSON.stringify({ ts: now, seq: 1, slots: { '1': 'key-main-1', '2': 'key-room-1' } }), { qos: 1 })
    await door.publishAsync(`stations/${station.id}/devices/${dev.doorMain}/state`, JSON.stringify({ ts: now + 1, seq: 1, open: true }), { qos: 1 })
    await Promise.all([keybox.endAsync(), door.endAsync()])

    await page.click('[data-view-link=alerts]')
    await page.locator('#view-alerts .alert-list [data-action=ack]').first().waitFor()
    await page.waitForFunction(() => (window as any).__notifications.length > 0)
    const sound = page.locator('[data-action=enable-sound]')
    if (await sound.count()) await sound.click()
    await page.click('[data-view-link=history]')
    await page.locator('.chart[data-subject="door:main"] canvas').waitFor()
    await page.click('[data-view-link=audit]')
    await page.locator('.audit-table tbody tr').first().waitFor()
    await page.click('[data-view-link=board]')

    expect(await page.evaluate(() => (window as any).__csp)).toEqual([])
    expect(errors).toEqual([])

    // Logging out ends the session server-side; the page is back at the login form.
    await page.click('#logout')
    await page.waitForSelector('body[data-auth="out"]')
    const me = await page.evaluate(async () => (await fetch('/api/auth/me', { credentials: 'same-origin' })).status)
    expect(me).toBe(401)
    expect(await page.evaluate(() => (window as any).__csp)).toEqual([])

    // Control: the recorder does see a violation (an inline script is refused and reported).
    await page.evaluate(() => {
      const s = document.createElement('script')
      s.textContent = 'window.__inlineRan = true'
      document.head.append(s)
    })
    await page.waitForFunction(() => (window as any).__csp.length > 0)
    expect(await page.evaluate(() => (window as any).__inlineRan)).toBeUndefined()
    expect((await page.evaluate(() => (window as any).__csp as string[]))[0]).toMatch(/^script-src/)
  } finally {
    await context.close()
  }
}

async function serve(env: Record<string, string>): Promise<{ svc: RunningService; station: ReturnType<typeof fixtureStation> }> {
  const station = fixtureStation('cspstation')
  const svc = await startService({
    env: { HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-csp-'), STATIONS: writeStations([station]), ADMIN_PASSWORD, LOG_LEVEL: 'silent', ...env },
  })
  return { svc, station }
}

describe.skipIf(skipWithoutChromium)(`dashboard under the CSP (${CHROMIUM_PATH})`, () => {
  test('over HTTP: every view, charts, a critical alert, logout — no CSP violation, no page error', async () => {
    const { svc, station } = await serve({})
    try {
      await exercise(`http://127.0.0.1:${svc.httpPort}`, svc, station)
    } finally {
      await svc.stop()
    }
  })

  test('over HTTPS (self-signed): the same, with wss:/ws and a Secure cookie', async () => {
    const cert = makeCert()
    const { svc, station } = await serve({ HTTP_TLS_CERT: cert.certPath, HTTP_TLS_KEY: cert.keyPath })
    try {
      expect(svc.https).toBe(true)
      await exercise(`https://127.0.0.1:${svc.httpPort}`, svc, station)
    } finally {
      await svc.stop()
    }
  })
})
