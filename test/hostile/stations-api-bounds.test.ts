// Contract v2 §E, raw and hostile: station and device bodies that are not what they should be never
// get a 5xx, every 400 names the field, and nothing of a refused change takes effect.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestService, type TestService } from '../helpers/service.ts'
import { fixtureStation } from '../helpers/station-fixture.ts'
import { newStationBody } from '../service/stations/station-admin-fixture.ts'

let t: TestService
let before: unknown

beforeAll(async () => {
  t = await startTestService({ stations: [fixtureStation('calm')] })
  before = (await t.api('/api/stations/calm/config')).body
})
afterAll(async () => {
  await t?.stop()
})

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
const valid = JSON.stringify(newStationBody('hostile'))

describe('station bodies', () => {
  test.each([
    ['null', 'null', /^body: /],
    ['a string', '"station"', /^body: /],
    ['a number', '12', /^body: /],
    ['an array', '[{"id":"x"}]', /^body: /],
    ['__proto__ as a key', valid.replace('{', '{"__proto__":{"polluted":true},'), /^body: .*__proto__/],
    ['constructor as a key', valid.replace('{', '{"constructor":{"prototype":{}},'), /^body: .*constructor/],
    ['a 5,000-level array as the name', valid.replace('"name":"新站 hostile"', `"name":${deep(5000)}`), /^body\.name: /],
    ['a 64-character id', valid.replace('"id":"hostile"', `"id":"${'a'.repeat(64)}"`), /^body\.id: must match/],
    ['a door id with a slash', valid.replace('"id":"main"', '"id":"ma/in"'), /^body\.doors\.0\.id: must match/],
    ['800 keys opening an unknown door', JSON.stringify(newStationBody('hostile', { keys: Array.from({ length: 800 }, (_, i) => ({ id: `k${i}`, name: 'k', opens: ['nowhere'] })) })), /^body\.keys\.0\.opens\.0: unknown door/],
    ['a rule of the wrong type', valid.replace('"doorOpenMaxSeconds":600', '"doorOpenMaxSeconds":"600"'), /^body\.rules\.doorOpenMaxSeconds: /],
    ['an unknown time zone', valid.replace('{', '{"timezone":"Mars/Olympus",'), /^body\.timezone: must be an IANA time zone/],
  ])('POST /api/stations with %s: 400 naming the field, nothing created', async (_what, raw, message) => {
    const r = await t.api('/api/stations', { method: 'POST', body: raw })
    expect(r.status, r.text).toBe(400)
    expect(r.body.error.code).toBe('BAD_REQUEST')
    expect(r.body.error.message).toMatch(message)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((await t.api('/api/overview')).body.stations.map((s: any) => s.id)).toEqual(['calm'])
  })

  test('a PUT that is not a station leaves the station as it was', async () => {
    for (const raw of ['null', '[]', valid.replace('"hostile"', '"calm"').replace('"doors":[', '"doors":[{"id":"main","name":"dup"},')]) {
      const r = await t.api('/api/stations/calm', { method: 'PUT', body: raw })
      expect(r.status, r.text).toBe(400)
      expect(r.body.error.message).toMatch(/^body/)
    }
    expect((await t.api('/api/stations/calm/config')).body).toEqual(before)
  })

  test('ids in the path that are no ids are a 400 naming params.id; ones that could be are plain 404s', async () => {
    for (const path of ['/api/stations/%E0%A4%A/config', '/api/devices/..%2F..%2Fetc/disable', `/api/devices/${'x'.repeat(200)}/rotate-secret`]) {
      const r = await t.api(path, { method: path.endsWith('config') ? 'GET' : 'POST' })
      expect(r.status, path).toBe(400)
      expect(r.body.error.message).toMatch(/^params/)
    }
    expect((await t.api('/api/devices/constructor/disable', { method: 'POST' })).status).toBe(404)
    expect((await t.api('/api/stations/constructor/config')).status).toBe(404)
  })
})

describe('device bodies', () => {
  test.each([
    ['null', 'null', /^body: /],
    ['2,000 slots', JSON.stringify({ id: 'calm-kb', type: 'keybox', slots: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`s${i}`, 'key-main-1'])) }), /^body\.slots\.s0: key "key-main-1" already has a slot on "calm-keybox"/],
    ['a slot name too long', JSON.stringify({ id: 'calm-kb', type: 'keybox', slots: { ['x'.repeat(17)]: 'key-main-1' } }), /^body\.slots\.x{17}: /],
    ['an unknown type', '{"id":"calm-x","type":"camera"}', /^body\.type: /],
    ['a disabled flag', '{"id":"calm-x","type":"door","door":"main","disabled":true}', /^body\.disabled: not taken/],
    ['items that are not ids', '{"id":"calm-x","type":"equipment","items":[{"$gt":""}]}', /^body\.items\.0: /],
  ])('POST /api/stations/calm/devices with %s: 400 naming the field, nothing added', async (_what, raw, message) => {
    const r = await t.api('/api/stations/calm/devices', { method: 'POST', body: raw })
    expect(r.status, r.text).toBe(400)
    expect(r.body.error.message).toMatch(message)
    expect((await t.api('/api/stations/calm/config')).body).toEqual(before)
  })
})

describe('at once', () => {
  test('20 parallel creations of one station id make one station; 20 parallel devices for one door make one device', async () => {
    const made = await Promise.all(Array.from({ length: 20 }, () => t.api('/api/stations', { method: 'POST', body: newStationBody('raced') })))
    expect(made.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(409)])
    const devices = await Promise.all(Array.from({ length: 20 }, (_, i) => t.api('/api/stations/raced/devices', { method: 'POST', body: { id: `raced-door-${i}`, type: 'door', door: 'main' } })))
    expect(devices.filter((r) => r.status === 201)).toHaveLength(1)
    expect(devices.filter((r) => r.status === 400).every((r) => /^body\.door: door "main" already has device/.test(r.body.error.message))).toBe(true)
    expect((await t.api('/api/stations/raced/config')).body.devices).toHaveLength(1)
    expect((await t.api('/api/stations/raced/events?kind=station-created')).body).toHaveLength(1)
  })
})

test('afterwards the service answers and the calm station is as it was', async () => {
  expect((await t.api('/api/health')).status).toBe(200)
  expect((await t.api('/api/stations/calm/config')).body).toEqual(before)
})
