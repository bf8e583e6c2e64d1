// The admin view (contract v2 §E) in real Chromium against the real service: an admin creates a
// station with a door, a key and an item through the forms (a bad field is shown beside it), adds a
// device, reads its secret once, and a real MQTT client connects with the connection settings shown
// within 1 s; its reading shows on the board. Rotating a secret and disabling a device work; the
// station file downloads; the forms fit a phone; a viewer has no admin view.
import { readFileSync } from 'node:fs'
import mqtt, { type MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DESKTOP, launchBrowser, logIn, openDashboard, PHONE, screenshot, skipWithoutChromium, type DashboardPage } from '../helpers/browser.ts'
import { ADMIN_PASSWORD, createUser, startTestService, type TestService } from '../helpers/service.ts'

// Plain text, not a function: the test transpiler would add helpers that do not exist in the page.
const RECORD_CSP = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
`

const S = 'qilihe'
const DEVICE = 'qilihe-door-main'

let t: TestService
let browser: Browser
const clients: MqttClient[] = []
/** the device's first secret, from the dialog that added it */
let firstSettings: { host: string; port: number; clientId: string; username: string; password: string } | undefined

beforeAll(async () => {
  if (skipWithoutChromium) return
  ;[t, browser] = await Promise.all([startTestService(), launchBrowser()])
  await createUser(t, 'vera', 'viewer')
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
  await browser?.close()
  await t?.stop()
})

async function openAs(user: string, password: string, viewport = DESKTOP): Promise<DashboardPage> {
  const d = await openDashboard(browser, t.base, { viewport, isMobile: viewport === PHONE })
  await d.context.addInitScript({ content: RECORD_CSP })
  await d.page.reload()
  await logIn(d.page, user, password)
  return d
}

async function expectClean(d: DashboardPage): Promise<void> {
  expect(await d.page.evaluate(() => (window as any).__csp)).toEqual([])
  expect(d.errors).toEqual([])
}

async function openAdmin(page: Page): Promise<void> {
  await page.click('[data-view-link=admin]')
  await page.waitForSelector('body[data-view="admin"] [data-action=new-station]')
}

const fieldOf = (page: Page, name: string) => page.locator(`.admin-form .field[data-field="${name}"]`)
const input = (page: Page, name: string) => fieldOf(page, name).locator('input, select').first()

/** Connects as a device with what the secret dialog shows; resolves with the client and how long CONNECT took. */
async function connectAs(settings: { host: string; port: number; clientId: string; username: string; password: string }): Promise<{ client: MqttClient; ms: number }> {
  const started = performance.now()
  const client = await mqtt.connectAsync(`mqtt://${settings.host}:${settings.port}`, { protocolVersion: 4, clientId: settings.clientId, username: settings.username, password: settings.password, reconnectPeriod: 0, connectTimeout: 5000 })
  clients.push(client)
  return { client, ms: performance.now() - started }
}

/** Reads the secret dialog: the secret and the parsed settings, after pointing the port at the test service. */
async function readSecretDialog(page: Page): Promise<{ secret: string; settings: any; mosquitto: string }> {
  const dialog = page.locator('#admin-secret-dialog[open]')
  await dialog.waitFor()
  await dialog.locator('[data-testid=mqtt-port]').fill(String(t.svc.mqttPort))
  const secret = await dialog.locator('[data-testid=device-secret]').inputValue()
  const settings = JSON.parse((await dialog.locator('[data-testid=mqtt-settings]').textContent()) ?? '')
  const mosquitto = (await dialog.locator('[data-testid=mosquitto-pub]').textContent()) ?? ''
  return { secret, settings, mosquitto }
}

async function closeSecretDialog(page: Page): Promise<void> {
  await page.click('#admin-secret-dialog [data-testid=secret-done]')
  await page.waitForSelector('#admin-secret-dialog', { state: 'hidden' })
  // the secret does not stay in the page once the dialog is closed
  await expect.poll(() => page.locator('#admin-secret-dialog').innerHTML()).toBe('')
}

describe.skipIf(skipWithoutChromium)('dashboard: the admin view', () => {
  test('an admin creates a station through the forms, adds a device, reads its secret once; the device connects within 1 s and its reading shows on the board', async () => {
    const d = await openAs('admin', ADMIN_PASSWORD)
    const { page } = d
    await openAdmin(page)
    expect(await page.locator('.admin-station[data-station=teststation]').count()).toBe(1)
    await page.click('[data-action=new-station]')
    await input(page, 'id').fill(S)
    await input(page, 'name').fill('七里河应急服务站')
    await input(page, 'district').fill('七里河街道')
    await page.click('[data-add=doors]')
    await input(page, 'doors.0.id').fill('main')
    await input(page, 'doors.0.name').fill('正门')
    await page.click('[data-add=keys]')
    await input(page, 'keys.0.id').fill('key-main-1')
    await input(page, 'keys.0.name').fill('正门钥匙')
    await input(page, 'keys.0.holder').fill('物业')
    // with one door, a new key opens it
    expect(await fieldOf(page, 'keys.0.opens').locator('input[value=main]').isChecked()).toBe(true)
    await page.click('[data-add=equipment]')
    await input(page, 'equipment.0.id').fill('water')
    await input(page, 'equipment.0.name').fill('饮用水')
    await input(page, 'equipment.0.category').fill('water-food')
    await input(page, 'equipment.0.kind').selectOption('supply')
    await input(page, 'equipment.0.min').fill('12')
    await input(page, 'rules.doorOpenMaxSeconds').fill('300')

    // A bad field: the service names it, and the form shows its message beside that field.
    await input(page, 'timezone').fill('Mars/Olympus')
    await page.click('.admin-form [data-action=submit]')
    const tzError = fieldOf(page, 'timezone').locator('.field-error')
    await tzError.waitFor()
    expect(await tzError.textContent()).toMatch(/IANA/)
    expect(await fieldOf(page, 'timezone').getAttribute('class')).toContain('invalid')
    expect(await fieldOf(page, 'name').locator('.field-error').isVisible()).toBe(false)
    await screenshot(page, 'admin-station-form-error')
    expect((await t.api(`/api/stations/${S}/config`)).status).toBe(404)

    // A bad field inside a row: the second door's id is named, beside that door's id; removing the row fixes it.
    await input(page, 'timezone').fill('Asia/Shanghai')
    await page.click('[data-add=doors]')
    await input(page, 'doors.1.id').fill('main')
    await input(page, 'doors.1.name').fill('又一个正门')
    await page.click('.admin-form [data-action=submit]')
    const doorError = fieldOf(page, 'doors.1.id').locator('.field-error')
    await doorError.waitFor()
    expect(await doorError.textContent()).toContain('duplicate door id "main"')
    expect(await fieldOf(page, 'doors.0.id').locator('.field-error').isVisible()).toBe(false)
    expect(await tzError.isVisible()).toBe(false) // the earlier error is gone
    await page.locator('.admin-row[data-row="doors.1"] .remove-row').click()
    expect(await page.locator('[data-list=doors] .admin-row').count()).toBe(1)
    await page.click('.admin-form [data-action=submit]')
    await page.waitForSelector(`.admin-station-screen[data-station=${S}]`)
    const config = (await t.api(`/api/stations/${S}/config`)).body
    expect(config).toMatchObject({
      id: S,
      name: '七里河应急服务站',
      district: '七里河街道',
      timezone: 'Asia/Shanghai',
      doors: [{ id: 'main', name: '正门' }],
      keys: [{ id: 'key-main-1', name: '正门钥匙', opens: ['main'], holder: '物业' }],
      equipment: [{ id: 'water', name: '饮用水', category: 'water-food', kind: 'supply', min: 12 }],
      rules: { doorOpenMaxSeconds: 300 },
    })

    // Add the door's device: the door is the obvious choice and is chosen for the admin.
    await page.click('[data-action=add-device]')
    await input(page, 'id').fill(DEVICE)
    expect(await input(page, 'type').inputValue()).toBe('door')
    expect(await input(page, 'door').inputValue()).toBe('main')
    await page.click('.admin-form [data-action=submit]')
    const shown = await readSecretDialog(page)
    const { settings } = shown
    firstSettings = settings
    await screenshot(page, 'admin-device-secret')
    expect(settings).toMatchObject({ host: '127.0.0.1', port: t.svc.mqttPort, clientId: DEVICE, username: DEVICE, password: shown.secret, stateTopic: `stations/${S}/devices/${DEVICE}/state`, statusTopic: `stations/${S}/devices/${DEVICE}/status` })
    expect(settings.websocketUrl).toBe(`ws://127.0.0.1:${t.svc.httpPort}/mqtt`)
    expect(shown.mosquitto).toContain(`-i ${DEVICE} -u ${DEVICE} -P ${shown.secret}`)
    expect(shown.mosquitto).toContain(`-p ${t.svc.mqttPort}`)

    // The installer's device connects at once with exactly what was shown, and publishes.
    const { client, ms } = await connectAs(settings)
    expect(ms).toBeLessThan(1000)
    await client.publishAsync(settings.statusTopic, JSON.stringify({ online: true, battery: 90 }), { qos: 1, retain: true })
    await client.publishAsync(settings.stateTopic, JSON.stringify({ ts: Date.now(), seq: 1, open: true }), { qos: 1 })
    await closeSecretDialog(page)
    const row = page.locator(`.admin-device[data-device=${DEVICE}]`)
    await expect.poll(() => row.getAttribute('data-state')).toBe('online')

    // On the board: the new station (the one being set up is the header's), its door open.
    await page.click('[data-testid=open-board]')
    expect(await page.locator('#station-picker select').inputValue()).toBe(S)
    const door = page.locator('#view-board [data-subject="door:main"]')
    await expect.poll(() => door.getAttribute('data-state')).toBe('open')
    await screenshot(page, 'admin-new-station-board')
    await expectClean(d)
    await d.close()
  })

  test('rotating a secret shows the new one once (the old one is refused); disabling cuts the device off and the list says so', async () => {
    const d = await openAs('admin', ADMIN_PASSWORD)
    const { page } = d
    await openAdmin(page)
    await page.click(`[data-action=open][data-station=${S}]`)
    const row = page.locator(`.admin-device[data-device=${DEVICE}]`)
    await row.waitFor()

    const before = (await t.api(`/api/stations/${S}/config`)).body.devices.find((x: { id: string }) => x.id === DEVICE).secretHash
    await row.locator('[data-action=rotate]').click()
    await page.click('#ask-ok')
    const rotated = await readSecretDialog(page)
    expect(rotated.settings.password).toBe(rotated.secret)
    await closeSecretDialog(page)
    const after = (await t.api(`/api/stations/${S}/config`)).body.devices.find((x: { id: string }) => x.id === DEVICE).secretHash
    expect(after).not.toBe(before)
    const { client, ms } = await connectAs(rotated.settings)
    expect(ms).toBeLessThan(1000)
    expect(rotated.secret).not.toBe(firstSettings!.password)
    await expect(connectAs(firstSettings!)).rejects.toThrow(/Bad username or password|Not authorized/i)

    // cancel leaves it alone
    await row.locator('[data-action=disable]').click()
    await page.click('#ask-cancel')
    expect(await row.getAttribute('data-state')).not.toBe('disabled')
    expect(client.connected).toBe(true)

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    await row.locator('[data-action=disable]').click()
    await page.click('#ask-ok')
    await expect.poll(() => row.getAttribute('data-state')).toBe('disabled')
    await closed // cut off at once
    expect(await row.locator('[data-action=rotate]').count()).toBe(0)
    await expect(connectAs(rotated.settings)).rejects.toThrow()
    await screenshot(page, 'admin-device-disabled')
    await expectClean(d)
    await d.close()
  })

  test('at phone size: the forms fit the screen; editing adds a door; a taken device id is named beside its field; a key box is added; the station file downloads', async () => {
    const d = await openAs('admin', ADMIN_PASSWORD, PHONE)
    const { page } = d
    await page.goto(`${t.base}/#admin`)
    await page.waitForSelector('body[data-view="admin"] [data-action=new-station]')
    await page.click(`[data-action=open][data-station=${S}]`)
    await page.click('[data-action=edit-station]')
    await input(page, 'name').waitFor()
    expect(await input(page, 'id').getAttribute('readonly')).not.toBeNull()
    await page.click('[data-add=doors]')
    await input(page, 'doors.1.id').fill('back')
    await input(page, 'doors.1.name').fill('后门')
    // the key's choice of doors follows the door list
    await fieldOf(page, 'keys.0.opens').locator('input[value=back]').waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await screenshot(page, 'admin-station-form-phone')
    await page.click('.admin-form [data-action=submit]')
    await page.waitForSelector(`.admin-station-screen[data-station=${S}] .flash`)
    const config = (await t.api(`/api/stations/${S}/config`)).body
    expect(config.doors).toEqual([{ id: 'main', name: '正门' }, { id: 'back', name: '后门' }])
    expect(config.devices.map((x: { id: string }) => x.id)).toEqual([DEVICE])
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await screenshot(page, 'admin-station-phone')

    // A key box, at phone size: an id already taken is named beside the id field; the free key is offered in slot 1.
    await page.click('[data-action=add-device]')
    await input(page, 'id').fill(DEVICE)
    await input(page, 'type').selectOption('keybox')
    expect(await input(page, 'slots.1').inputValue()).toBe('key-main-1')
    await page.click('.admin-form [data-action=submit]')
    const idError = fieldOf(page, 'id').locator('.field-error')
    await idError.waitFor()
    expect(await idError.textContent()).toContain('already exists')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await screenshot(page, 'admin-device-form-phone')
    await input(page, 'id').fill('qilihe-keybox')
    await page.click('.admin-form [data-action=submit]')
    const keybox = await readSecretDialog(page)
    expect(keybox.mosquitto).toContain('\\"slots\\":{\\"1\\":\\"key-main-1\\"}')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await screenshot(page, 'admin-device-secret-phone')
    await closeSecretDialog(page)
    await page.locator('.admin-device[data-device=qilihe-keybox][data-state=offline]').waitFor()

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-config]')])
    const file = JSON.parse(readFileSync((await download.path()), 'utf8'))
    expect(file).toMatchObject({ id: S, doors: config.doors })
    expect(file.devices[0]).toMatchObject({ id: DEVICE, type: 'door', door: 'main', disabled: true })
    expect(file.devices[1]).toMatchObject({ id: 'qilihe-keybox', type: 'keybox', slots: { '1': 'key-main-1' } })
    // In English too: the open station is drawn again in the other language, and a form being filled in is kept.
    await page.click('#app .lang-toggle')
    await expect.poll(() => page.locator('[data-action=add-device]').textContent()).toBe('Add a device')
    await page.click('[data-action=edit-station]')
    await input(page, 'district').fill('七里河街道（新）')
    await page.click('#app .lang-toggle')
    await expect.poll(() => page.locator('[data-view-link=admin]').textContent()).toBe('站点管理')
    expect(await input(page, 'district').inputValue()).toBe('七里河街道（新）')
    await page.click('.admin-form [data-action=cancel]')
    await page.click('[data-action=back]')
    expect(await page.locator('[data-action=new-station]').textContent()).toBe('新建站点')
    expect(file.devices[0].secretHash).toMatch(/^sha256:/)
    await expectClean(d)
    await d.close()
  })

  test('a viewer has no admin view: no tab, and #admin opens the board', async () => {
    const d = await openAs('vera', 'vera-password')
    const { page } = d
    expect(await page.locator('[data-view-link=admin]').isVisible()).toBe(false)
    await page.goto(`${t.base}/#admin`)
    await page.waitForSelector('body[data-auth="in"]')
    await expect.poll(() => page.evaluate(() => document.body.dataset.view)).toBe('board')
    expect(await page.locator('#view-admin').innerHTML()).toBe('')
    await expectClean(d)
    await d.close()
  })
})
