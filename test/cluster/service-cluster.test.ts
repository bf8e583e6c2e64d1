import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { describeWithNats, useNatsCluster } from '../helpers/nats.ts'
import { startPostgres, type Postgres } from '../helpers/postgres.ts'
import { killAllSpawned, spawnService, waitListening, type ServiceProcess } from '../helpers/process.ts'
import { fixtureStation, tempDir, writeStations, type FixtureStation } from '../helpers/station-fixture.ts'
import { eventually, sleep } from '../helpers/wait.ts'

/**
 * Cluster mode through the real service (contract v2 §F): three instances as child processes on
 * one 3-node NATS cluster and one PostgreSQL. What is acknowledged is applied exactly once, in
 * order, across a SIGKILL of a station's owner and then of a NATS node; a door left open on the
 * killed owner's station still alerts; every instance serves the same events.
 */
const ADMIN = 'cluster-admin-password'
const DOOR_LIMIT_S = 6
const STATIONS = ['ca', 'cb', 'cc'].map((id) => fixtureStation(id, { doorOpenMaxSeconds: DOOR_LIMIT_S, heartbeatSeconds: 3600 }))

interface Instance { id: string; proc: ServiceProcess; mqttPort: number; httpPort: number; token: string; alive: boolean }

describeWithNats('cluster mode: three instances', () => {
  const nats = useNatsCluster()
  let pg: Postgres
  let db: string
  const instances: Instance[] = []

  beforeAll(async () => {
    pg = await startPostgres()
    const url = await pg.createDatabase()
    db = new URL(url).pathname.slice(1)
    const stationsDir = writeStations(STATIONS)
    const procs = ['i1', 'i2', 'i3'].map((id) => ({
      id,
      proc: spawnService({
        HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir(`sw-cluster-${id}-`), STATIONS: stationsDir, ADMIN_PASSWORD: ADMIN,
        LOG_LEVEL: 'info', DEVICE_MAX_MSG_PER_SEC: '0', NATS_URL: nats.cluster.urls, DATABASE_URL: url, INSTANCE_ID: id,
      }),
    }))
    for (const { id, proc } of procs) {
      const ports = await waitListening(proc, 60_000).catch((err: unknown) => {
        throw new Error(`${id} did not start: ${String(err)}\n${proc.stderr.slice(-20).join('\n')}\n${proc.stdout.slice(-20).join('\n')}`)
      })
      instances.push({ id, proc, ...ports, token: '', alive: true })
    }
    for (const i of instances) i.token = await login(i)
  }, 120_000)

  afterAll(async () => {
    killAllSpawned()
    await pg?.destroy()
  })

  test('readings through any instance are applied once by their owner, across an owner SIGKILL and a NATS node SIGKILL', async () => {
    // Every station has an owner, and the partitions are shared out: the owners stay the same
    // over two lease heartbeats (an instance that started first gives partitions to the others).
    let last = ''
    let stableSince = Date.now()
    for (const i of instances) expect(await api(i, '/api/health')).toMatchObject({ cluster: { instance: i.id, nats: { ok: true }, database: { ok: true } } })
    await eventually(async () => {
      const now = JSON.stringify([...(await owners())].sort())
      if (now !== last || owned.size < STATIONS.length) ((last = now), (stableSince = Date.now()))
      return Date.now() - stableSince > 5_000 || undefined
    }, 60_000, 'every station owned, and the owners settled')

    // ---- a reading published to any instance is PUBACKed and appears once on every instance ----
    for (const [k, s] of STATIONS.entries()) {
      const c = await connect(instances[k]!, s, `${s.id}-door-main`)
      await c.publishAsync(`stations/${s.id}/devices/${s.id}-door-main/state`, JSON.stringify({ ts: T0, seq: 1, open: true }), { qos: 1 })
      await c.endAsync()
    }
    for (const s of STATIONS) {
      for (const i of instances) {
        await eventually(async () => (await events(i, s.id, 'door-opened')).length === 1 || undefined, 20_000, `${s.id} door-opened on ${i.id}`)
      }
    }

    // ---- SIGKILL the owner of station ca under a steady stream of readings ----
    const station = STATIONS[0]!
    const victim = instances.find((i) => i.id === ownerOf(station.id))!
    const publisher = instances.find((i) => i !== victim)!
    const acked: number[] = []
    // A door left open on the victim's station: it must still alert, on its new owner.
    const room = await connect(publisher, station, `${station.id}-door-room`)
    await room.publishAsync(`stations/${station.id}/devices/${station.id}-door-room/state`, JSON.stringify({ ts: T0, seq: 1, open: true }), { qos: 1 })
    const doorOpenedAt = Date.now()
    const device = await connect(publisher, station, `${station.id}-door-main`)
    const stream = steadyStream(device, station.id, 2, acked)
    await sleep(1_500)
    expect((await owners()).get(station.id)).toBe(victim.id)
    const killedAt = Date.now()
    victim.proc.child.kill('SIGKILL')
    victim.alive = false
    await sleep(3_000)
    const firstStop = await stream.stop()

    await eventually(async () => (await owners()).get(station.id) !== undefined || undefined, 20_000, 'station taken over')
    const takeoverMs = Date.now() - killedAt
    expect(takeoverMs).toBeLessThan(15_000 + 1_000)
    await expectAppliedOnce(station.id, acked)
    const survivor = instances.find((i) => i.alive)!
    const alert = await eventually(
      async () => (await events(survivor, station.id, 'alert-opened')).find((e) => e.subject === 'door:equipment-room'),
      DOOR_LIMIT_S * 1000 + 20_000,
      'door-open-too-long on the new owner',
    )
    expect(alert.t - doorOpenedAt).toBeLessThan((DOOR_LIMIT_S + 15 + 3) * 1000)
    console.log(`victim ${victim.id}, publisher ${publisher.id}, takeover seen after ${takeoverMs} ms, alert ${alert.t - doorOpenedAt} ms after the door opened, ${acked.length} acknowledged`)
    // Acknowledged through an instance that does not own the station: the owner follows, so when
    // the door closes and it resolves the alert, the acknowledgement is kept.
    const owner = (await owners()).get(station.id)!
    const other = instances.find((i) => i.alive && i.id !== owner)!
    const open = ((await api(other, `/api/alerts?station=${station.id}`)) as { id: string; rule: string; subject: string; state: string }[]).find((x) => x.rule === 'door-open-too-long' && x.subject === 'door:equipment-room' && x.state === 'active')!
    const ack = await fetch(`http://127.0.0.1:${other.httpPort}/api/alerts/${open.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' }, body: '{}' })
    expect(ack.status).toBe(200)
    await sleep(500)
    await room.publishAsync(`stations/${station.id}/devices/${station.id}-door-room/state`, JSON.stringify({ ts: T0 + 1, seq: 2, open: false }), { qos: 1 })
    const resolved = await eventually(async () => ((await api(other, `/api/alerts?station=${station.id}`)) as { id: string; state: string; ackedBy?: string }[]).find((x) => x.id === open.id && x.state === 'resolved'), 20_000, 'the door alert resolved by its owner')
    expect(resolved.ackedBy).toBe('admin')
    await room.endAsync()
    // The same events on every live instance.
    const [a, b] = await Promise.all(instances.filter((i) => i.alive).map((i) => events(i, station.id, 'door-opened,door-closed')))
    expect(a).toEqual(b)

    // ---- then SIGKILL one NATS node, under the same stream ----
    const again = steadyStream(device, station.id, firstStop + 1, acked)
    await sleep(1_000)
    await nats.cluster.kill(0)
    await sleep(4_000)
    const lastSeq = await again.stop()
    await device.endAsync()
    await expectAppliedOnce(station.id, acked)

    // The dashboard of every live instance shows every station, the ones owned elsewhere too.
    for (const i of instances.filter((x) => x.alive)) {
      expect((await api(i, '/api/stations')).map((s: { id: string }) => s.id).sort()).toEqual(STATIONS.map((s) => s.id).sort())
      await eventually(async () => {
        const status = await api(i, `/api/stations/${station.id}`)
        return status.doors.find((d: { id: string }) => d.id === 'main')?.open === (lastSeq % 2 === 1) || undefined
      }, 10_000, `the last door state of ${station.id} on ${i.id}`)
    }
  }, 120_000)

  // ---- helpers --------------------------------------------------------------------------

  const T0 = 1_790_000_000_000
  let owned = new Map<string, string>()

  function ownerOf(station: string): string {
    return owned.get(station)!
  }

  async function owners(): Promise<Map<string, string>> {
    const map = new Map<string, string>()
    for (const i of instances.filter((x) => x.alive)) {
      const h = (await (await fetch(`http://127.0.0.1:${i.httpPort}/api/health`)).json()) as { cluster: { instance: string; stations: string[]; nats: { ok: boolean }; database: { ok: boolean } } }
      expect(h.cluster.instance).toBe(i.id)
      expect(h.cluster.database.ok).toBe(true)
      for (const s of h.cluster.stations) map.set(s, i.id)
    }
    owned = map
    return map
  }

  async function login(i: Instance): Promise<string> {
    const r = await fetch(`http://127.0.0.1:${i.httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN }) })
    expect(r.status).toBe(200)
    return ((await r.json()) as { token: string }).token
  }

  async function api(i: Instance, path: string): Promise<any> {
    const r = await fetch(`http://127.0.0.1:${i.httpPort}${path}`, { headers: { authorization: `Bearer ${i.token}` } })
    expect(r.status).toBe(200)
    return r.json()
  }

  async function events(i: Instance, station: string, kind: string): Promise<{ t: number; kind: string; subject: string; device: string }[]> {
    const r = await fetch(`http://127.0.0.1:${i.httpPort}/api/stations/${station}/events?kind=${kind}&limit=10000`, { headers: { authorization: `Bearer ${i.token}` } })
    expect(r.status).toBe(200)
    return (await r.json()) as { t: number; kind: string; subject: string; device: string }[]
  }

  function connect(i: Instance, s: FixtureStation, device: string): Promise<MqttClient> {
    return mqtt.connectAsync(`mqtt://127.0.0.1:${i.mqttPort}`, { protocolVersion: 4, username: device, password: s.secrets[device], reconnectPeriod: 0, clientId: device })
  }

  /** ~200 readings/s, at most 20 in flight; `stop` resolves with the last seq sent once every one in flight is settled. */
  function steadyStream(client: MqttClient, station: string, from: number, acked: number[]) {
    let seq = from - 1
    let inflight = 0
    let running = true
    const topic = `stations/${station}/devices/${station}-door-main/state`
    const timer = setInterval(() => {
      for (let n = 0; n < 2 && running && inflight < 20; n++) {
        const s = ++seq
        inflight++
        client.publish(topic, JSON.stringify({ ts: T0 + s, seq: s, open: s % 2 === 1 }), { qos: 1 }, (err) => {
          inflight--
          if (!err) acked.push(s)
        })
      }
    }, 10)
    return {
      async stop(): Promise<number> {
        running = false
        clearInterval(timer)
        await eventually(() => inflight === 0 || undefined, 30_000, 'the stream settled')
        return seq
      },
    }
  }

  /** Every acknowledged reading is stored exactly once, in the order the device sent them. */
  async function expectAppliedOnce(station: string, ackedSeqs: number[]): Promise<void> {
    const wanted = new Set(ackedSeqs.map((s) => T0 + s))
    const read = async () =>
      (await pg.query("SELECT (fields->>'device_ts')::bigint AS ts FROM readings WHERE station = $1 AND measurement = 'door' AND subject = 'door:main' ORDER BY id", [station], db)).rows.map((r: { ts: string }) => Number(r.ts))
    const stored = await eventually(async () => {
      const rows = await read()
      return [...wanted].every((t) => rows.includes(t)) ? rows : undefined
    }, 40_000, 'every acknowledged reading applied').catch(async (err: unknown) => {
      // What the instances said about their partitions and NATS, to tell why.
      const rows = new Set(await read())
      const missing = [...wanted].filter((t) => !rows.has(t)).map((t) => t - T0)
      const said = instances.flatMap((i) => i.proc.logs().filter((l) => Number(l.level) >= 40 || /partition/.test(String(l.msg))).map((l) => `${i.id} ${JSON.stringify(l).slice(0, 300)}`))
      throw new Error(`${String(err)}; missing seqs ${missing.slice(0, 20).join(',')} (${missing.length})\n${said.slice(-40).join('\n')}`)
    })
    expect(new Set(stored).size).toBe(stored.length)
    expect(stored).toEqual([...stored].sort((x, y) => x - y))
    expect(ackedSeqs.length).toBeGreaterThan(200)
  }
})
