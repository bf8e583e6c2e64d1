import type { Browser, Page } from 'playwright-core'
import { expect } from 'vitest'
import { expectNoPageErrors, openDashboard, WALL, type DashboardPage } from './browser.ts'
import type { TestService } from './service.ts'

// What the wall-screen tests look at: scrolling, type sizes, the items on screen, CSP, display tokens.

/** Whether the page scrolls either way, and every visible text's font size below 14 px. */
export function layout(page: Page) {
  return page.evaluate(() => {
    const page = document.scrollingElement!
    const small: string[] = []
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement
      if (!el || !n.textContent?.trim() || !el.checkVisibility()) continue
      const size = parseFloat(getComputedStyle(el).fontSize)
      if (size < 14) small.push(`${size}px: ${n.textContent.trim().slice(0, 40)}`)
    }
    return { scrollHeight: page.scrollHeight, scrollWidth: page.scrollWidth, innerHeight, innerWidth, small, unit: document.documentElement.dataset.unit }
  })
}

/** Every item of the station as the wall shows it: its name, state and whether all of it is on screen. */
export function items(page: Page) {
  return page.$$eval('[data-subject^="item:"]', (els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect()
      return {
        id: (el as HTMLElement).dataset.subject!.slice(5),
        name: el.querySelector('.name')!.textContent,
        state: (el as HTMLElement).dataset.state,
        chip: el.querySelector('.chip')!.textContent,
        onScreen: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && (el as HTMLElement).checkVisibility(),
      }
    }),
  )
}

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
export const CSP_RECORD = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
`

/** A display token (contract v2 §E) for a wall screen showing `stations`; the admin makes it. */
export async function displayToken(t: TestService, name: string, stations: string[]): Promise<{ id: string; token: string }> {
  const r = await t.api('/api/display-tokens', { method: 'POST', body: { name, stations } })
  expect(r.status).toBe(201)
  expect(r.body.token).toMatch(/^swd_/)
  return r.body
}

export async function openWall(browser: Browser, base: string, path: string, viewport = WALL): Promise<DashboardPage> {
  const d = await openDashboard(browser, base, { viewport })
  await d.context.addInitScript({ content: CSP_RECORD })
  const doc = await d.page.goto(base + path)
  // served under the dashboard's Content-Security-Policy, and nothing in it is refused
  expect(doc!.headers()['content-security-policy']).toMatch(/script-src 'self'/)
  // its URL may carry a token: never sent on as a Referer, never cached
  expect(doc!.headers()['referrer-policy']).toBe('no-referrer')
  expect(doc!.headers()['cache-control']).toBe('no-store')
  return d
}

/** No page error and no Content-Security-Policy violation. */
export async function expectClean(d: DashboardPage): Promise<void> {
  expect(await d.page.evaluate(() => (window as any).__csp)).toEqual([])
  expectNoPageErrors(d)
}
