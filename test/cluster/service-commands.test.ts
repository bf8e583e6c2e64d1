import mqtt from 'mqtt'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEFAULT_PARTITIONS, partitionOf } from '../../src/adapters/nats/partitions.ts'
import { describeWithNats, useNatsCluster } from '../helpers/nats.ts'
import { startPostgres, type Postgres } from '../helpers/postgres.ts'
import { killAllSpawned, spawnService, waitListening, type ServiceProcess } from '../helpers/process.ts'
import { fixtureStation, tempDir, writeStations } from '../helpers/station-fixture.ts'
import { eventually, within } from '../helpers/wait.ts'

/**
 * Cluster mode, the API side (contract v2 §F "every instance serves the whole API"): commands for
 * a station owned by another instance are carried to its owner (alerts, drills, the ledger's
 * judgement), station changes made through one instance take effect on all, and an instance that
 * starts late shows the alerts raised before it started.
 */
const ADMIN = 'cluster-admin-password'
/** One station in every partition: whichever partitions change hands, stations go with them. */
const STATIONS = (() => {
  const byPartition = new Map<number, string>()
  for (let n = 0; byPartition.size < DEFAULT_PARTITIONS; n++) {
    const p = partitionOf(`k${n}`, DEFAULT_PARTITIONS)
    if (!byPartition.has(p)) byPartition.set(p, `k${n}`)
  }
  return [...byPartition.values()].map((id) => fixtureStation(id, { heartbeatSeconds: 3600 }))
})()

interface Instance { id: string; proc: ServiceProcess; mqttPort: number; httpPort: number; token: string }
interface AlertView { id: string; station: string; rule: string; subject: string; state: string; drill?: boolean; ackedBy?: string }

describeWithNats('cluster mode: the API on every instance', () => {
  const nats = useNatsCluster()
  let pg: Postgres
  let url: string
  let stationsDir: string
  const instances: Instance[] = []

  const start = async (id: string): Promise<Instance> => {
    const proc = spawnService({
      HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir(`sw-cmd-${id}-`), STATIONS: stationsDir, ADMIN_PASSWORD: ADMIN,
      LOG_LEVEL: 'info', NATS_URL: nats.cluster.urls, DATABASE_URL: url, INSTANCE_ID: id,
    })
    const ports = await waitListening(proc, 60_000).catch((err: unknown) => {
      throw new Error(`${id} did not start: ${String(err)}\n${proc.stderr.slice(-20).join('\n')}`)
    })
    const i = { id, proc, ...ports, token: '' }
    i.token = await login(i)
    instances.push(i)
    return i
  }

  beforeAll(async () => {
    pg = await startPostgres()
    url = await pg.createDatabase()
    stationsDir = writeStations(STATIONS)
    await Promise.all([start('c1'), start('c2')])
  }, 120_000)

  afterAll(async () => {
    killAllSpawned()
    await pg?.destroy()
  })

  test('commands through a non-owner reach the owner; station changes reach every instance; a late instance shows earlier alerts', async () => {
    // Both instances own a share of the stations.
    const owners = await eventually(async () => {
      const map = await ownerMap()
      const holders = new Set(map.values())
      return map.size === STATIONS.length && holders.size === 2 ? map : undefined
    }, 60_000, 'every station owned, by both instances')
    const station = STATIONS[0]!.id
    const owner = instances.find((i) => i.id === owners.get(station))!
    const other = instances.find((i) => i !== owner)!

    step('drill through the non-owner')
    // ---- a drill started through the non-owner is raised by the owner's engine ----
    const drill = await call(other, 'POST', `/api/stations/${station}/drills`, { rule: 'door-forced', note: 'relay' })
    expect(drill).toMatchObject({ status: 201 })
    const drillAlert = (drill.body as { alert: AlertView }).alert
    expect(drillAlert).toMatchObject({ station, drill: true, state: 'active' })
    // The owner holds it (its engine would escalate it), and the non-owner lists it too.
    for (const i of instances) {
      await eventually(async () => ((await get(i, `/api/alerts?station=${station}`)) as AlertView[]).some((a) => a.id === drillAlert.id && a.state === 'active') || undefined, 10_000, `the drill alert on ${i.id}`)
    }
    // Acknowledged through the non-owner: carried to the owner, whose answer it is.
    const ack = await call(other, 'POST', `/api/alerts/${drillAlert.id}/ack`, {})
    expect(ack.status).toBe(200)
    expect(ack.body).toMatchObject({ id: drillAlert.id, state: 'acknowledged', ackedBy: 'admin' })
    const end = await call(other, 'POST', `/api/drills/${(drill.body as { id: string }).id}/end`, {})
    expect(end.status).toBe(200)
    await eventually(async () => ((await get(owner, `/api/alerts?station=${station}&state=resolved`)) as AlertView[]).some((a) => a.id === drillAlert.id) || undefined, 10_000, 'the drill alert resolved by its owner')

    step('resolve at once through the non-owner')
    // ---- an alert raised by the owner, resolved through the non-owner the moment its /ws shows it
    // (before the owner's commit has made it readable from the store) ----
    const s2 = STATIONS.find((s) => owners.get(s.id) === owner.id && s.id !== station)!
    const { WebSocket } = await import('ws')
    const ws = new WebSocket(`ws://127.0.0.1:${other.httpPort}/ws`, { headers: { authorization: `Bearer ${other.token}` } })
    const heard: string[] = []
    const resolvedAtOnce = new Promise<number>((resolve, reject) => {
      setTimeout(() => reject(new Error(`no door-forced alert of ${s2.id} on ${other.id}'s /ws within 20 s; heard: ${heard.slice(-20).join(' | ')}`)), 20_000)
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; alert?: AlertView }
        heard.push(m.type === 'alert' ? `alert ${m.alert?.station} ${m.alert?.rule} ${m.alert?.state}` : m.type)
        if (m.type !== 'alert' || m.alert?.station !== s2.id || m.alert.rule !== 'door-forced' || m.alert.state !== 'active') return
        call(other, 'POST', `/api/alerts/${m.alert.id}/resolve`, {}).then((r) => resolve(r.status), reject)
      })
    })
    await new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error(`/ws on ${other.id} did not open within 10 s`)), 10_000)
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const door = await mqtt.connectAsync(`mqtt://127.0.0.1:${other.mqttPort}`, { protocolVersion: 4, username: `${s2.id}-door-main`, password: s2.secrets[`${s2.id}-door-main`], reconnectPeriod: 0, clientId: `${s2.id}-door-main` })
    await within(door.publishAsync(`stations/${s2.id}/devices/${s2.id}-door-main/state`, JSON.stringify({ ts: 1_790_000_000_000, seq: 1, open: true }), { qos: 1 }), 20_000, `the PUBACK of ${s2.id}'s door through ${other.id}`)
    expect(await resolvedAtOnce).toBe(200)
    ws.close()
    await door.endAsync()

    step('ledger receipt through the non-owner')
    // ---- a ledger receipt through the non-owner: the owner judges it (an expired batch alerts) ----
    const receipt = await call(other, 'POST', `/api/stations/${station}/ledger/receipts`, { itemId: 'extinguisher', quantity: 2, expiresOn: '2020-01-01' })
    expect(receipt).toMatchObject({ status: 201 })
    const expired = await eventually(async () => ((await get(other, `/api/alerts?station=${station}`)) as AlertView[]).find((a) => a.rule === 'expired' && a.state === 'active'), 15_000, 'the expired batch alerts')
    expect(expired.subject).toBe(`batch:${(receipt.body as { id: string }).id}`)

    step('station change through the non-owner')
    // ---- a station changed through the non-owner: the owner applies a new device's readings ----
    // The door's sensor is replaced: the old one disabled, a new one added, both through the non-owner.
    expect((await call(other, 'POST', `/api/devices/${station}-door-main/disable`, {})).status).toBe(200)
    const added = await call(other, 'POST', `/api/stations/${station}/devices`, { id: `${station}-door-extra`, type: 'door', door: 'main' })
    expect(added).toMatchObject({ status: 201 })
    const { secret } = added.body as { secret: string }
    // It may connect to either instance (the broker of each knows it) and its readings are applied by the owner.
    for (const [n, i] of instances.entries()) {
      const c = await eventually(() => mqtt.connectAsync(`mqtt://127.0.0.1:${i.mqttPort}`, { protocolVersion: 4, username: `${station}-door-extra`, password: secret, reconnectPeriod: 0, clientId: `${station}-door-extra` }).catch(() => undefined), 10_000, `the new device accepted by ${i.id}`)
      await within(c.publishAsync(`stations/${station}/devices/${station}-door-extra/state`, JSON.stringify({ ts: 1_790_000_000_000 + n, seq: n + 1, open: n === 0 }), { qos: 1 }), 20_000, `the PUBACK of the new device's reading through ${i.id}`)
      await c.endAsync()
    }
    await eventually(async () => ((await get(other, `/api/stations/${station}/events?kind=door-opened,door-closed&limit=100`)) as { device: string }[]).filter((e) => e.device === `${station}-door-extra`).length === 2 || undefined, 15_000, 'the new device’s readings applied')

    step('alerts at every station, then a third instance')
    // ---- an alert at every station, then a third instance: it shows the alerts raised before it
    // started, and the instances that handed stations over to it still show those stations' alerts ----
    for (const s of STATIONS.slice(1)) {
      const r = await call(other, 'POST', `/api/stations/${s.id}/ledger/receipts`, { itemId: 'extinguisher', quantity: 1, expiresOn: '2020-01-01' })
      expect(r).toMatchObject({ status: 201 })
    }
    const alerts = await eventually(async () => {
      const open = ((await get(other, '/api/alerts?state=active&limit=1000')) as AlertView[]).filter((a) => a.rule === 'expired')
      return open.length === STATIONS.length ? open : undefined
    }, 20_000, 'an expired-batch alert at every station')
    const before = await ownerMap()
    await start('c3')
    // Partitions move a heartbeat at a time (more slowly on a loaded machine): first c3 holds some,
    // then every station has an owner again.
    await eventually(async () => [...(await ownerMap()).values()].includes('c3') || undefined, 60_000, 'the late instance owns a share')
    const after = await eventually(async () => {
      const map = await ownerMap()
      return map.size === STATIONS.length ? map : undefined
    }, 60_000, 'every station owned again')
    const moved = STATIONS.filter((s) => before.get(s.id) !== after.get(s.id))
    expect(moved.length).toBeGreaterThan(0)
    for (const i of instances) {
      // (a retry only rides out a partition handed over at the moment of the snapshot)
      const missing = await eventually(async () => {
        const snapshot = JSON.stringify(await firstWsMessage(i))
        const left = alerts.filter((a) => !snapshot.includes(a.id))
        return left.length === 0 ? left : undefined
      }, 5_000, `${i.id} shows every station's alert`).catch(() => 'some missing')
      expect(missing, `${i.id}`).toEqual([])
    }
  }, 240_000)

  // ---- helpers --------------------------------------------------------------------------

  /** Where the test is, with the time, so that a run that stalls says where. */
  function step(what: string): void {
    console.log(`[service-commands ${new Date().toISOString()}] ${what}`)
  }

  async function ownerMap(): Promise<Map<string, string>> {
    const map = new Map<string, string>()
    for (const i of instances) {
      const h = (await (await fetch(`http://127.0.0.1:${i.httpPort}/api/health`, { signal: AbortSignal.timeout(15_000) })).json()) as { cluster: { stations: string[] } }
      for (const s of h.cluster.stations) map.set(s, i.id)
    }
    return map
  }

  async function login(i: { httpPort: number }): Promise<string> {
    const r = await fetch(`http://127.0.0.1:${i.httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN }) })
    expect(r.status).toBe(200)
    return ((await r.json()) as { token: string }).token
  }

  async function get(i: Instance, path: string): Promise<unknown> {
    const r = await fetch(`http://127.0.0.1:${i.httpPort}${path}`, { headers: { authorization: `Bearer ${i.token}` }, signal: AbortSignal.timeout(15_000) })
    expect(r.status).toBe(200)
    return r.json()
  }

  async function call(i: Instance, method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const r = await fetch(`http://127.0.0.1:${i.httpPort}${path}`, { method, headers: { authorization: `Bearer ${i.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(45_000) })
    const text = await r.text()
    return { status: r.status, body: text ? JSON.parse(text) : undefined }
  }

  async function firstWsMessage(i: Instance): Promise<unknown> {
    const { WebSocket } = await import('ws')
    const ws = new WebSocket(`ws://127.0.0.1:${i.httpPort}/ws`, { headers: { authorization: `Bearer ${i.token}` } })
    try {
      return await new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error(`no /ws snapshot from ${i.id} within 10 s`)), 10_000)
        ws.once('message', (data) => resolve(JSON.parse(String(data))))
        ws.once('error', reject)
      })
    } finally {
      ws.close()
    }
  }
})
