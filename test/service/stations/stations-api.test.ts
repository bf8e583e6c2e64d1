// Contract v2 §E: stations and devices through the API, taking effect at once, through the real
// service with real MQTT clients.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadStations } from '../../../src/config/stations.ts'
import { connackCode, mqttUrl } from '../../helpers/contract.ts'
import { createUser, eventually, openLive, publishState, startTestService, type TestService } from '../../helpers/service.ts'
import { fixtureStation, tempDir } from '../../helpers/station-fixture.ts'
import { within } from '../../helpers/wait.ts'
import { connectDevice, newStationBody, stationEvents } from './station-admin-fixture.ts'

let t: TestService
const tokens: Record<string, string> = {}

beforeAll(async () => {
  t = await startTestService({ stations: [fixtureStation('base')] })
  for (const role of ['viewer', 'staff', 'responder']) tokens[role] = await createUser(t, `sa-${role}`, role)
})
afterAll(async () => {
  await t?.stop()
})

describe('who may change stations', () => {
  const routes: [string, string, unknown][] = [
    ['POST', '/api/stations', newStationBody('nobody')],
    ['PUT', '/api/stations/base', newStationBody('base')],
    ['GET', '/api/stations/base/config', undefined],
    ['POST', '/api/stations/base/devices', { id: 'nobody-door', type: 'door', door: 'main' }],
    ['POST', '/api/devices/base-door-main/rotate-secret', undefined],
    ['POST', '/api/devices/base-door-main/disable', undefined],
  ]
  it.each(routes)('%s %s: 401 without a session, 403 for viewer, staff and responder', async (method, path, body) => {
    expect((await t.api(path, { method, body, token: null })).status).toBe(401)
    for (const role of ['viewer', 'staff', 'responder']) {
      const r = await t.api(path, { method, body, token: tokens[role]! })
      expect(r.status, role).toBe(403)
      expect(r.body.error.code).toBe('FORBIDDEN')
    }
    // nothing changed: the device still connects with its secret, no station was made
    expect((await t.api('/api/stations/nobody')).status).toBe(404)
    expect(await connackCode(mqttUrl(t), { clientId: 'base-door-main', username: 'base-door-main', password: t.station.secrets['base-door-main']! })).toBe(0)
  })
})

describe('POST /api/stations', () => {
  it('creates a station that is at once in the status, the overview, /ws and the audit trail', async () => {
    const live = await openLive(t)
    const r = await t.api('/api/stations', { method: 'POST', body: newStationBody('new-a') })
    expect((await live.next((m) => m.type === 'station' && m.station.id === 'new-a', 3000)).station.name).toBe('新站 new-a')
    live.close()
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ id: 'new-a', name: '新站 new-a', district: '七里河街道', timezone: 'Asia/Shanghai', devices: [] })
    expect(r.body.rules).toMatchObject({ doorOpenMaxSeconds: 600, heartbeatSeconds: 60 })
    const status = await t.api('/api/stations/new-a')
    expect(status.status).toBe(200)
    expect(status.body.doors.map((d: any) => d.id)).toEqual(['main'])
    expect((await t.api('/api/overview')).body.stations.map((s: any) => s.id)).toContain('new-a')
    const [event] = await stationEvents(t, 'new-a', 'station-created')
    expect(event).toMatchObject({ kind: 'station-created', subject: 'station:new-a', user: 'admin' })
  })

  it.each([
    ['no name', newStationBody('bad-1', { name: undefined }), /^body\.name: /],
    ['a key that opens no door of the station', newStationBody('bad-2', { keys: [{ id: 'k', name: 'k', opens: ['back'] }] }), /^body\.keys\.0\.opens\.0: unknown door "back"/],
    ['a bad id', newStationBody('Bad Id'), /^body\.id: must match/],
    ['devices', newStationBody('bad-3', { devices: [] }), /^body\.devices: not taken here/],
    ['an unknown field', newStationBody('bad-4', { colour: 'red' }), /^body: .*colour/],
    ['a bad rule value', newStationBody('bad-5', { rules: { heartbeatSeconds: -1 } }), /^body\.rules\.heartbeatSeconds: /],
  ])('a body with %s is a 400 that names the field', async (_what, body, message) => {
    const r = await t.api('/api/stations', { method: 'POST', body })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('BAD_REQUEST')
    expect(r.body.error.message).toMatch(message)
  })

  it('refuses a body that is not an object, and a station id that exists (409)', async () => {
    expect((await t.api('/api/stations', { method: 'POST', body: [1, 2] })).body.error.message).toMatch(/^body: /)
    const dup = await t.api('/api/stations', { method: 'POST', body: newStationBody('base') })
    expect(dup.status).toBe(409)
    expect(dup.body.error.message).toMatch(/^body\.id: station "base" already exists/)
  })

  it('refuses a body over the size limit (413)', async () => {
    const huge = newStationBody('huge', { equipment: Array.from({ length: 2000 }, (_, i) => ({ id: `item-${i}`, name: `物资 ${i}`, category: 'water-food', kind: 'supply' })) })
    const r = await t.api('/api/stations', { method: 'POST', body: huge })
    expect(r.status).toBe(413)
    expect((await t.api('/api/stations/huge')).status).toBe(404)
  })
})

describe('devices through the API', () => {
  let secret: string

  it('adds a device: the secret is in the answer once, the device connects within 1 s and reports', async () => {
    await t.api('/api/stations', { method: 'POST', body: newStationBody('dev-st') })
    const r = await t.api('/api/stations/dev-st/devices', { method: 'POST', body: { id: 'dev-st-door', type: 'door', door: 'main', name: '正门磁' } })
    expect(r.status).toBe(201)
    expect(r.body.device).toEqual({ id: 'dev-st-door', type: 'door', door: 'main', name: '正门磁' })
    expect(r.body.secret).toMatch(/^[A-Za-z0-9_-]{32,}$/)
    secret = r.body.secret
    const started = Date.now()
    const { client } = await within(connectDevice(t, 'dev-st-door', secret), 1000, 'the new device connecting')
    expect(Date.now() - started).toBeLessThan(1000)
    await publishState(client, 'dev-st', 'dev-st-door', { ts: Date.now(), seq: 1, open: true })
    await eventually(async () => (await t.api('/api/stations/dev-st')).body.doors[0].open === true, 3000, 'the door open in the status')
    await client.endAsync(true)
    // only the hash is kept: neither the secret nor anything but the hash is in the export
    const config = (await t.api('/api/stations/dev-st/config')).text
    expect(config).not.toContain(secret)
    expect((await stationEvents(t, 'dev-st', 'device-added'))[0]).toMatchObject({ subject: 'device:dev-st-door', user: 'admin' })
  })

  it.each([
    ['an unknown door', { id: 'dev-x', type: 'door', door: 'back' }, 400, /^body\.door: unknown door "back"/],
    ['a door that has a device', { id: 'dev-y', type: 'door', door: 'main' }, 400, /^body\.door: door "main" already has device "dev-st-door"/],
    ['its own secretHash', { id: 'dev-z', type: 'door', door: 'main', secretHash: 'sha256:00' }, 400, /^body\.secretHash: /],
    ['no type', { id: 'dev-w', door: 'main' }, 400, /^body\.type: /],
    ['a device id another station has', { id: 'base-keybox', type: 'keybox', slots: { '1': 'key-main-1' } }, 409, /^body\.id: device "base-keybox" already exists \(station "base"\)/],
  ])('a device with %s is refused and names the field', async (_what, body, status, message) => {
    const r = await t.api('/api/stations/dev-st/devices', { method: 'POST', body })
    expect(r.status).toBe(status)
    expect(r.body.error.message).toMatch(message)
  })

  it('a device for an unknown station is a 404', async () => {
    expect((await t.api('/api/stations/no-such/devices', { method: 'POST', body: { id: 'q', type: 'door', door: 'main' } })).status).toBe(404)
  })

  it('rotating a secret cuts the open connection, refuses the old secret and accepts the new one', async () => {
    const { closed } = await connectDevice(t, 'dev-st-door', secret)
    const r = await t.api('/api/devices/dev-st-door/rotate-secret', { method: 'POST' })
    expect(r.status).toBe(200)
    expect(r.body.device).toEqual({ id: 'dev-st-door', type: 'door', door: 'main', name: '正门磁' })
    expect(r.body.secret).not.toBe(secret)
    await within(closed, 1000, 'the old connection closed')
    expect([4, 5]).toContain(await connackCode(mqttUrl(t), { clientId: 'dev-st-door', username: 'dev-st-door', password: secret }))
    expect(await connackCode(mqttUrl(t), { clientId: 'dev-st-door', username: 'dev-st-door', password: r.body.secret })).toBe(0)
    secret = r.body.secret
    expect((await stationEvents(t, 'dev-st', 'device-secret-rotated'))[0]).toMatchObject({ subject: 'device:dev-st-door', user: 'admin' })
  })

  it('disabling a device cuts it off at once and refuses it after; it stays in the export, disabled', async () => {
    // with a will: the broker publishes it as the connection is cut, for a device no longer configured
    const { client, closed } = await connectDevice(t, 'dev-st-door', secret, 'dev-st')
    await publishState(client, 'dev-st', 'dev-st-door', { ts: Date.now(), seq: 2, open: false })
    const live = await openLive(t)
    const r = await t.api('/api/devices/dev-st-door/disable', { method: 'POST' })
    expect(r.status).toBe(200)
    expect(r.body.device).toMatchObject({ id: 'dev-st-door', disabled: true })
    await within(closed, 1000, 'the disabled device’s connection closed')
    expect([4, 5]).toContain(await connackCode(mqttUrl(t), { clientId: 'dev-st-door', username: 'dev-st-door', password: secret }))
    const pushed = await live.next((m) => m.type === 'station' && m.station.id === 'dev-st' && !m.station.devices.some((d: any) => d.id === 'dev-st-door'), 3000)
    live.close()
    expect(pushed.station.doors[0].stale).toBe(true)
    const status = (await t.api('/api/stations/dev-st')).body
    expect(status.devices.map((d: any) => d.id)).not.toContain('dev-st-door')
    expect(status.doors[0].stale).toBe(true)
    const config = (await t.api('/api/stations/dev-st/config')).body
    expect(config.devices).toEqual([expect.objectContaining({ id: 'dev-st-door', disabled: true })])
    expect((await stationEvents(t, 'dev-st', 'device-disabled'))[0]).toMatchObject({ subject: 'device:dev-st-door', user: 'admin' })
    // its door may take a new device; the disabled one's id stays taken, and it cannot be rotated
    expect((await t.api('/api/stations/dev-st/devices', { method: 'POST', body: { id: 'dev-st-door-2', type: 'door', door: 'main' } })).status).toBe(201)
    expect((await t.api('/api/stations/dev-st/devices', { method: 'POST', body: { id: 'dev-st-door', type: 'door', door: 'main' } })).status).toBe(409)
    expect((await t.api('/api/devices/dev-st-door/rotate-secret', { method: 'POST' })).status).toBe(409)
  })

  it('an unknown device is a 404 for rotate and disable', async () => {
    expect((await t.api('/api/devices/no-such/rotate-secret', { method: 'POST' })).body.error.code).toBe('DEVICE_UNKNOWN')
    expect((await t.api('/api/devices/no-such/disable', { method: 'POST' })).status).toBe(404)
  })
})

describe('PUT /api/stations/:id', () => {
  it('replaces the configuration at once and keeps the live state of what is unchanged', async () => {
    const door = await t.device('base-door-main')
    await publishState(door, 'base', 'base-door-main', { ts: Date.now(), seq: 1, open: true })
    await eventually(async () => (await t.api('/api/stations/base')).body.doors.find((d: any) => d.id === 'main')?.open === true, 3000, 'the door open')
    const config = (await t.api('/api/stations/base/config')).body
    const { devices: _devices, ...rest } = config
    const body = { ...rest, name: '改名的站', district: '西湖街道', doors: [...config.doors, { id: 'back', name: '后门' }], rules: { ...config.rules, doorOpenMaxSeconds: 30 } }
    const r = await t.api('/api/stations/base', { method: 'PUT', body })
    expect(r.status).toBe(200)
    expect(r.body.name).toBe('改名的站')
    expect(r.body.devices.map((d: any) => d.id)).toEqual(config.devices.map((d: any) => d.id))
    expect(r.body.devices[0]).not.toHaveProperty('secretHash')
    const status = (await t.api('/api/stations/base')).body
    expect(status).toMatchObject({ name: '改名的站', district: '西湖街道' })
    expect(status.doors.map((d: any) => d.id)).toEqual(['main', 'equipment-room', 'back'])
    expect(status.doors[0]).toMatchObject({ id: 'main', open: true, stale: false })
    // the device stays connected and its readings still count
    await publishState(door, 'base', 'base-door-main', { ts: Date.now(), seq: 2, open: false })
    await eventually(async () => (await t.api('/api/stations/base')).body.doors[0].open === false, 3000, 'the door closed')
    expect((await stationEvents(t, 'base', 'station-updated'))[0]).toMatchObject({ subject: 'station:base', user: 'admin' })
  })

  it('refuses a change that leaves a device without its door, and an id other than the path', async () => {
    const { devices: _d, ...config } = (await t.api('/api/stations/base/config')).body
    const noMain = await t.api('/api/stations/base', { method: 'PUT', body: { ...config, doors: [{ id: 'back', name: '后门' }], keys: [] } })
    expect(noMain.status).toBe(400)
    expect(noMain.body.error.message).toMatch(/devices\.0\.door.*unknown door "main"/)
    const otherId = await t.api('/api/stations/base', { method: 'PUT', body: { ...config, id: 'other' } })
    expect(otherId.body.error.message).toMatch(/^body\.id: must be "base"/)
    expect((await t.api('/api/stations/no-such', { method: 'PUT', body: config })).status).toBe(404)
  })
})

describe('GET /api/stations/:id/config', () => {
  it('round-trips: written to a file, loadStations reads the same station', async () => {
    const r = await t.api('/api/stations/dev-st/config')
    expect(r.status).toBe(200)
    expect(r.body.devices.every((d: any) => /^sha256:/.test(d.secretHash))).toBe(true)
    const file = join(tempDir('sw-export-'), 'dev-st.json')
    writeFileSync(file, r.text)
    const { stations } = loadStations(file)
    expect(stations).toEqual([r.body])
  })

  it('an unknown station is a 404', async () => {
    expect((await t.api('/api/stations/no-such/config')).body.error.code).toBe('STATION_UNKNOWN')
  })
})
