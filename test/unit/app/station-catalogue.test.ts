import { afterEach, describe, expect, test } from 'vitest'
import { openDatabase, type Db } from '../../../src/adapters/embedded/database.ts'
import { EmbeddedStationStore } from '../../../src/adapters/embedded/station-store.ts'
import { StationCatalogue, type CatalogueEvents, type StationChange } from '../../../src/app/station-catalogue.ts'
import { newSecret } from '../../../src/auth/secret-hash.ts'
import { stationHash } from '../../../src/config/station-files.ts'
import { Fleet } from '../../../src/domain/fleet.ts'
import { stationSchema, type StationConfig } from '../../../src/domain/station.ts'
import { EventHub } from '../../../src/event-hub.ts'
import { fixtureStation, tempDir } from '../../helpers/station-fixture.ts'

const T = 1_800_000_000_000
const dbs: Db[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

function rig(dir = tempDir('sw-cat-'), limits = { maxStations: 3, maxDevicesPerStation: 2, maxDevices: 3 }) {
  const db = openDatabase(dir)
  dbs.push(db)
  const store = new EmbeddedStationStore(db)
  const hub = new EventHub<CatalogueEvents>()
  const changes: [string, StationChange][] = []
  hub.on('stationConfigured', (c, change) => changes.push([c.id, change]))
  const warnings: string[] = []
  const catalogue = new StationCatalogue({ store, hub, clock: { now: () => T }, newSecret, limits, log: { info: () => {}, warn: (_f, msg) => warnings.push(msg) } })
  return { dir, db, store, catalogue, changes, warnings }
}

const file = (id: string, patch: Partial<StationConfig> = {}) => {
  const config = { ...stationSchema.parse(fixtureStation(id).json), ...patch }
  return { config, hash: stationHash(config), file: `/stations/${id}.json` }
}
const body = (id: string) => ({ id, name: id, doors: ['main', 'back', 'side'].map((d) => ({ id: d, name: d })), keys: [], equipment: [] })

describe('bounds on what the API creates', () => {
  test('stations, devices a station and devices in all are capped, with a 409 naming body.id', () => {
    const { catalogue } = rig()
    catalogue.load([], [])
    catalogue.create(body('a'), 'admin')
    catalogue.create(body('b'), 'admin')
    catalogue.create(body('c'), 'admin')
    expect(() => catalogue.create(body('d'), 'admin')).toThrow(/^body\.id: at most 3 stations/)
    catalogue.addDevice('a', { id: 'a-1', type: 'door', door: 'main' }, 'admin')
    catalogue.addDevice('a', { id: 'a-2', type: 'door', door: 'back' }, 'admin')
    expect(() => catalogue.addDevice('a', { id: 'a-3', type: 'door', door: 'side' }, 'admin')).toThrow(/^body\.id: at most 2 devices a station/)
    catalogue.addDevice('b', { id: 'b-1', type: 'door', door: 'main' }, 'admin')
    expect(() => catalogue.addDevice('c', { id: 'c-1', type: 'door', door: 'main' }, 'admin')).toThrow(/^body\.id: at most 3 devices in all/)
    expect(catalogue.get('c')!.devices).toEqual([])
  })

  test('a refused change changes nothing and announces nothing', () => {
    const { catalogue, changes } = rig()
    catalogue.load([], [])
    expect(() => catalogue.create({ ...body('x'), doors: 'no' }, 'admin')).toThrow(/^body\.doors: /)
    expect(catalogue.get('x')).toBeUndefined()
    expect(changes).toEqual([])
  })
})

describe('station files against the stored API versions, at start', () => {
  test('an API edit stands while its file is unchanged; a file changed since wins and its stored version is dropped', async () => {
    const first = rig()
    const f = file('s1')
    first.catalogue.load([f], [])
    first.catalogue.replace('s1', { ...f.config, devices: undefined, name: 'api name' }, 'admin')
    first.db.close()
    dbs.length = 0

    const again = rig(first.dir)
    again.catalogue.load([f], await again.store.loadStations())
    expect(again.catalogue.get('s1')!.name).toBe('api name')
    again.db.close()
    dbs.length = 0

    const edited = file('s1', { name: 'file name' })
    const third = rig(first.dir)
    third.catalogue.load([edited], await third.store.loadStations())
    expect(third.catalogue.get('s1')!.name).toBe('file name')
    expect(await third.store.loadStations()).toEqual([])
    expect(third.warnings.join()).toMatch(/changed on disk/)
  })

  test('a station created through the API loads from the store alone; one whose file is gone is not loaded', async () => {
    const first = rig()
    first.catalogue.load([file('s2')], [])
    first.catalogue.create(body('api-only'), 'admin')
    first.catalogue.replace('s2', { ...first.catalogue.get('s2')!, name: 'api name' }, 'admin')
    const stored = await first.store.loadStations()
    const again = rig(tempDir('sw-cat-'))
    again.catalogue.load([], stored)
    expect(again.catalogue.all().map((s) => s.id)).toEqual(['api-only'])
    expect(again.warnings.join()).toMatch(/no station file any more/)
  })

  test('a device id in two stations stops start-up naming both', () => {
    const { catalogue } = rig()
    const a = file('s3')
    const b = file('s4', { devices: [{ ...a.config.devices[0]! }] })
    expect(() => catalogue.load([a, b], [])).toThrow(/device id "s3-door-main" is also in station "s3"/)
  })
})

describe('a re-read file', () => {
  test('unchanged is nothing; changed replaces the station and cuts devices that left or got another secret', () => {
    const { catalogue, changes } = rig()
    const f = file('s5')
    catalogue.load([f], [])
    expect(catalogue.fileLoaded(f)).toEqual({ applied: false })
    const devices = f.config.devices.slice(1).map((d, i) => (i === 0 ? { ...d, secretHash: newSecret().secretHash } : d))
    const r = catalogue.fileLoaded(file('s5', { devices }))
    expect(r).toEqual({ applied: true })
    expect(changes.at(-1)![1]).toMatchObject({ kind: 'file-reloaded', cut: ['s5-door-main', 's5-door-room'] })
  })

  test('a device id another station holds is refused with the file and field', () => {
    const { catalogue } = rig()
    const a = file('s6')
    catalogue.load([a, file('s7')], [])
    const r = catalogue.fileLoaded(file('s7', { devices: [{ ...a.config.devices[0]! }] }))
    expect(r.refused).toBe('/stations/s7.json: devices.0.id: device "s6-door-main" belongs to station "s6"')
    expect(catalogue.get('s7')!.devices[0]!.id).toBe('s7-door-main')
  })
})

describe('Fleet.configure', () => {
  test('keeps the live state of what the new configuration still names, and says which devices left', () => {
    const cfg = stationSchema.parse(fixtureStation('fl').json)
    const fleet = new Fleet([cfg])
    const s = fleet.stations.get('fl')!
    s.applyStatus('fl-door-main', { online: true }, T)
    s.applyState('fl-door-main', { type: 'door', ts: 1, seq: 1, open: true }, T)
    const { state, removedDevices } = fleet.configure({ ...cfg, name: 'new', devices: cfg.devices.filter((d) => d.id !== 'fl-shelf') })
    expect(state.doors.get('main')).toMatchObject({ open: true })
    expect(state.isDeviceOnline('fl-door-main')).toBe(true)
    expect(removedDevices).toEqual(['fl-shelf'])
    expect(fleet.device('fl-shelf')).toBeUndefined()
    expect(fleet.device('fl-door-main')!.station).toBe(state)
  })
})
