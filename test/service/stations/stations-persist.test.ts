// Contract v2 §E: API-made station changes survive a restart; station files stay the way to seed,
// and one changed on disk is re-read while running (and then wins over the API's version).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connackCode, mqttUrl } from '../../helpers/contract.ts'
import { eventually, publishState, startTestService, type TestService } from '../../helpers/service.ts'
import { fixtureStation, writeStations } from '../../helpers/station-fixture.ts'
import { newStationBody, stationEvents } from './station-admin-fixture.ts'

let t: TestService
const seeded = fixtureStation('seeded')
const fileOf = () => join(t.stationsDir, 'seeded.json')
const config = async (id: string) => (await t.api(`/api/stations/${id}/config`)).body

beforeAll(async () => {
  t = await startTestService({ stations: [seeded] })
})
afterAll(async () => {
  await t?.stop()
})

describe('a restart with the same DATA_DIR', () => {
  let apiSecret: string

  it('keeps a station and a device made through the API, a replaced file station and a disabled device', async () => {
    expect((await t.api('/api/stations', { method: 'POST', body: newStationBody('made') })).status).toBe(201)
    const dev = await t.api('/api/stations/made/devices', { method: 'POST', body: { id: 'made-door', type: 'door', door: 'main' } })
    apiSecret = dev.body.secret
    const { devices: _d, ...rest } = await config('seeded')
    expect((await t.api('/api/stations/seeded', { method: 'PUT', body: { ...rest, name: 'API 改的名字' } })).status).toBe(200)
    expect((await t.api('/api/devices/seeded-keybox/disable', { method: 'POST' })).status).toBe(200)
    const before = { made: await config('made'), seeded: await config('seeded') }

    await t.restart()

    expect(await config('made')).toEqual(before.made)
    expect(await config('seeded')).toEqual(before.seeded)
    expect((await t.api('/api/stations/seeded')).body.name).toBe('API 改的名字')
    expect(await connackCode(mqttUrl(t), { clientId: 'made-door', username: 'made-door', password: apiSecret })).toBe(0)
    expect([4, 5]).toContain(await connackCode(mqttUrl(t), { clientId: 'seeded-keybox', username: 'seeded-keybox', password: seeded.secrets['seeded-keybox']! }))
    expect((await t.api('/api/overview')).body.stations.map((s: any) => s.id).sort()).toEqual(['made', 'seeded'])
  })
})

describe('station files changed on disk', () => {
  it('a changed file is re-read without a restart and replaces the API version of its station', async () => {
    const json = JSON.parse(readFileSync(fileOf(), 'utf8'))
    json.name = '文件里的新名字'
    json.doors.push({ id: 'back', name: '后门' })
    writeFileSync(fileOf(), JSON.stringify(json, null, 2))
    await eventually(async () => (await t.api('/api/stations/seeded')).body.name === '文件里的新名字', 5000, 'the file re-read')
    const now = await config('seeded')
    expect(now.doors.map((d: any) => d.id)).toEqual(['main', 'equipment-room', 'back'])
    // the file is the whole station: the keybox the API disabled is enabled again, as the file has it
    expect(now.devices.find((d: any) => d.id === 'seeded-keybox')).not.toHaveProperty('disabled')
    expect(await connackCode(mqttUrl(t), { clientId: 'seeded-keybox', username: 'seeded-keybox', password: seeded.secrets['seeded-keybox']! })).toBe(0)
    expect((await stationEvents(t, 'seeded', 'station-file-reloaded'))[0]).toMatchObject({ subject: 'station:seeded', user: `file:${fileOf()}` })
  })

  it('a bad file is left out: the running configuration stays, and a good file after it is taken', async () => {
    const good = readFileSync(fileOf(), 'utf8')
    writeFileSync(fileOf(), good.replace('"name": "文件里的新名字"', '"name": 42'))
    // a good file written after the bad one is re-read: the bad one's station kept its configuration meanwhile
    writeFileSync(join(t.stationsDir, 'another.json'), JSON.stringify(newStationBody('another', { devices: [] })))
    await eventually(async () => (await t.api('/api/stations/another')).status === 200, 5000, 'the new file read')
    expect((await config('seeded')).name).toBe('文件里的新名字')
    writeFileSync(fileOf(), good.replace('文件里的新名字', '修好的文件'))
    await eventually(async () => (await config('seeded')).name === '修好的文件', 5000, 'the fixed file read')
  })

  it('a device moved from one file to another, in one go, moves (whichever file is read first)', async () => {
    const from = JSON.parse(readFileSync(fileOf(), 'utf8'))
    const moved = from.devices.find((d: any) => d.id === 'seeded-door-main')
    from.devices = from.devices.filter((d: any) => d !== moved)
    const toFile = join(t.stationsDir, 'another.json')
    const to = JSON.parse(readFileSync(toFile, 'utf8'))
    to.devices = [moved]
    // another.json sorts before seeded.json: it is read while seeded still holds the device
    writeFileSync(toFile, JSON.stringify(to))
    writeFileSync(fileOf(), JSON.stringify(from))
    await eventually(async () => (await config('another')).devices?.[0]?.id === 'seeded-door-main', 5000, 'the device in its new station')
    expect((await config('seeded')).devices.map((d: any) => d.id)).not.toContain('seeded-door-main')
    const door = await t.device('seeded-door-main')
    await publishState(door, 'another', 'seeded-door-main', { ts: Date.now(), seq: 1, open: true })
    await eventually(async () => (await t.api('/api/stations/another')).body.doors[0].open === true, 3000, 'its reading in its new station')
  })

  it('an API edit made after a re-read stands over a restart while the file stays as it is', async () => {
    const { devices: _d, ...rest } = await config('seeded')
    expect((await t.api('/api/stations/seeded', { method: 'PUT', body: { ...rest, name: 'API 又改了' } })).status).toBe(200)
    await t.restart()
    expect((await config('seeded')).name).toBe('API 又改了')
    expect((await t.api('/api/stations/another')).status).toBe(200)
  })
})

describe('STATIONS naming one file', () => {
  it('that file is re-read when it changes; other files beside it are not station files', async () => {
    const single = fixtureStation('single')
    const dir = writeStations([single])
    const file = join(dir, 'single.json')
    const s = await startTestService({ stations: [single], env: { STATIONS: file } })
    try {
      writeFileSync(join(dir, 'stray.json'), JSON.stringify(newStationBody('stray', { devices: [] })))
      writeFileSync(file, JSON.stringify({ ...single.json, name: '单文件改名' }))
      await eventually(async () => (await s.api('/api/stations/single')).body.name === '单文件改名', 5000, 'the file re-read')
      expect((await s.api('/api/stations/stray')).status).toBe(404)
    } finally {
      await s.stop()
    }
  })
})
