import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'

/** Debian's chromium (toolchain.md); never a downloaded one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

const chromiumMissing = !existsSync(CHROMIUM_PATH)
/**
 * Locally, browser tests skip when chromium is not installed. In CI (`CI=true`) they never skip:
 * launchBrowser() then fails with the command that installs it.
 */
export const skipWithoutChromium = chromiumMissing && process.env.CI !== 'true'
if (skipWithoutChromium) console.warn(`browser tests skipped: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium fonts-wqy-zenhei)`)

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))

export async function launchBrowser(): Promise<Browser> {
  if (chromiumMissing) return missingBrowser()
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}

/**
 * Stands in for chromium when it is not installed (only reached in CI): every test that opens a
 * page then fails with this message, rather than the whole file being reported as skipped.
 */
function missingBrowser(): Browser {
  const missing = async (): Promise<never> => {
    throw new Error(`no chromium at ${CHROMIUM_PATH}: apt-get install -y chromium fonts-wqy-zenhei`)
  }
  return { newContext: missing, newPage: missing, close: async () => undefined } as unknown as Browser
}

export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1280, height: 900 }
export const WALL = { width: 1920, height: 1080 }

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
const RECORD_NOTIFICATIONS = `
  window.__notifications = [];
  window.Notification = class {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted') }
    constructor(title, o) { window.__notifications.push({ title, body: (o && o.body) || '' }) }
    close() {}
  };
`

export interface DashboardPage {
  context: BrowserContext
  page: Page
  /** uncaught exceptions and console errors in the page */
  errors: string[]
  /** every URL the page asked for, WebSockets included */
  requests: string[]
  /** notifications the page showed (Notification is replaced by a recorder) */
  notifications(): Promise<{ title: string; body: string }[]>
  close(): Promise<void>
}

/**
 * A fresh browser context (own cookies and localStorage) on the dashboard at `base`.
 * Notifications are granted and recorded, so tests can see what a user would have been shown.
 */
export async function openDashboard(browser: Browser, base: string, opts: { viewport?: { width: number; height: number }; isMobile?: boolean } = {}): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, isMobile: opts.isMobile ?? false, hasTouch: opts.isMobile ?? false, timezoneId: 'Europe/London', locale: 'en-GB' })
  await context.addInitScript({ content: RECORD_NOTIFICATIONS })
  // Shorter than the test timeout, so that a failing wait says what it waited for.
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const errors: string[] = []
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  page.on('websocket', (ws) => requests.push(ws.url()))
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    // A failed request (the service being stopped on purpose, a 401 before login) is logged by the
    // browser itself as a console error; those are not the page's bugs.
    if (msg.type() === 'error' && !/Failed to load resource|WebSocket connection|ERR_CONNECTION_REFUSED/.test(msg.text())) errors.push(`console: ${msg.text()}`)
  })
  await page.goto(base + '/')
  return {
    context,
    page,
    errors,
    requests,
    notifications: () => page.evaluate(() => (window as any).__notifications as { title: string; body: string }[]),
    close: () => context.close(),
  }
}

/** Logs in through the form and waits for the live board. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('#login-username').fill(username)
  await page.locator('#login-password').fill(password)
  await page.locator('#login-form button[type=submit]').click()
  await waitForLive(page)
}

/** Waits until the page has a snapshot from /ws and the link is up. */
export async function waitForLive(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForSelector('body[data-auth="in"][data-link="live"]', { timeout })
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** No page errors happened. */
export function expectNoPageErrors(d: DashboardPage): void {
  expect(d.errors).toEqual([])
}
