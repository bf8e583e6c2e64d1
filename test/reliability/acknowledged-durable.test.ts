import Database from 'better-sqlite3'
import mqtt, { type MqttClient } from 'mqtt'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { killAllSpawned, spawnService, waitListening } from '../helpers/process.ts'
import { fixtureStation, tempDir, writeStations } from '../helpers/station-fixture.ts'

afterEach(() => killAllSpawned())

const TOTAL = 5000
const WINDOW = 20 // a device keeps at most this many QoS 1 messages in flight

/** Publishes `seqs` with a bounded in-flight window; resolves when all are acknowledged or the connection dies. */
async function publishAll(client: MqttClient, topic: string, seqs: number[], t0: number, acked: Set<number>, onAck: () => void = () => undefined): Promise<void> {
  let next = 0
  await new Promise<void>((resolve) => {
    let inflight = 0
    let done = 0
    let closed = false
    client.once('close', () => ((closed = true), resolve()))
    const pump = () => {
      while (!closed && inflight < WINDOW && next < seqs.length) {
        const seq = seqs[next++]!
        inflight++
        client.publish(topic, JSON.stringify({ ts: t0 + seq, seq, open: seq % 2 === 1 }), { qos: 1 }, (err) => {
          inflight--
          done++
          if (!err) (acked.add(seq), onAck())
          if (done === seqs.length) return resolve()
          pump()
        })
      }
    }
    pump()
  })
}

test.each([
  ['SIGKILL', 'every reading whose PUBACK the device got survives SIGKILL, and retries are stored exactly once'],
  ['SIGTERM', 'SIGTERM under full load exits 0 within 10 s and loses nothing'],
] as const)('%s: %s', async (signal, _title) => {
  const station = fixtureStation('durable')
  const dataDir = tempDir(`sw-durable-${signal}-`)
  const env = { HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: dataDir, STATIONS: writeStations([station]), ADMIN_PASSWORD: 'durable-admin', LOG_LEVEL: 'info', DEVICE_MAX_MSG_PER_SEC: '0' }
  const device = 'durable-door-main'
  const topic = `stations/durable/devices/${device}/state`
  const t0 = 1_790_000_000_000
  const connect = (port: number) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, username: device, password: station.secrets[device], reconnectPeriod: 0, clientId: device })

  const first = spawnService(env)
  const { mqttPort } = await waitListening(first, 15_000)
  const client = await connect(mqttPort)
  const acked = new Set<number>()
  const all = Array.from({ length: TOTAL }, (_, i) => i + 1)
  // Kill somewhere in the middle of the stream, at a point the test does not choose: after a
  // random number of PUBACKs (a time would not do: acknowledgements take about one commit each,
  // and the whole stream can be over in a few hundred ms).
  const killAfterAcks = 300 + Math.floor(Math.random() * 3500)
  let signalledAt = 0
  const kill = () => {
    if (signalledAt) return
    signalledAt = Date.now()
    first.child.kill(signal)
  }
  await publishAll(client, topic, all, t0, acked, () => acked.size >= killAfterAcks && kill())
  kill()
  const exit = await first.exited
  if (signal === 'SIGTERM') {
    expect(exit.code).toBe(0)
    expect(Date.now() - signalledAt).toBeLessThan(10_000)
  }
  client.end(true)
  const ackedBeforeKill = acked.size
  expect(ackedBeforeKill, 'the kill should land mid-stream').toBeLessThan(TOTAL)
  expect(ackedBeforeKill).toBeGreaterThanOrEqual(killAfterAcks)

  // The device reconnects and retries everything it has no PUBACK for.
  const second = spawnService(env)
  const ports = await waitListening(second, 15_000)
  const again = await connect(ports.mqttPort)
  const retry = all.filter((s) => !acked.has(s))
  await publishAll(again, topic, retry, t0, acked)
  expect(acked.size).toBe(TOTAL)
  await again.endAsync()
  second.child.kill('SIGTERM')
  expect((await second.exited).code).toBe(0)

  const db = new Database(join(dataDir, 'stationwatch.db'), { readonly: true })
  const rows = db.prepare<[], { fields: string }>("SELECT fields FROM points WHERE station = 'durable' AND subject = 'door:main'").all()
  db.close()
  const stored = new Map<number, number>()
  for (const r of rows) {
    const ts = (JSON.parse(r.fields) as { device_ts: number }).device_ts
    stored.set(ts, (stored.get(ts) ?? 0) + 1)
  }
  const missing = all.filter((s) => !stored.has(t0 + s))
  const twice = [...stored].filter(([, n]) => n > 1).map(([ts]) => ts - t0)
  expect(missing, `acked before the kill: ${ackedBeforeKill}`).toEqual([])
  expect(twice).toEqual([])
  expect(rows.length).toBe(TOTAL)
}, 90_000)
