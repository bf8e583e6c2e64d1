import mqtt from 'mqtt'
import { rmSync } from 'node:fs'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { EmbeddedReadingStore } from '../../src/adapters/embedded/embedded-reading-store.ts'
import { EmbeddedStateStore } from '../../src/adapters/embedded/state-store.ts'
import { MqttFrontDoor } from '../../src/adapters/mqtt/front-door.ts'
import { Fleet } from '../../src/domain/fleet.ts'
import { stationSchema } from '../../src/domain/station.ts'
import { EventHub } from '../../src/event-hub.ts'
import { Ingest, type IngestEvents } from '../../src/ingest/ingest.ts'
import type { IngestSource } from '../../src/ports.ts'
import { systemClock } from '../../src/ports.ts'
import { fixtureStation, tempDir } from '../helpers/station-fixture.ts'
import { eventually, sleep } from '../helpers/wait.ts'

/**
 * The IngestSource contract, one suite for every source (the embedded MQTT broker today; cluster
 * mode's JetStream consumer joins it): a device's reading reaches ingest once, and its sender is
 * told it is taken only after the stores say it is durable — and not at all when the store did
 * not keep it. The source runs over the real ingest and the real embedded stores; only the
 * acknowledgement gate in front of them is held or opened by the test.
 */
interface Rig {
  source: IngestSource
  /** sends one reading as device `device`; resolves when the sender is told it was taken */
  send(device: string, body: object): Promise<void>
  /** devices currently connected through the source */
  connect(device: string): Promise<void>
  close(): Promise<void>
}

interface Deps {
  ingest: Ingest
  gate: { durable(): Promise<void>; position(): number; kept(from: number, to: number): boolean }
  fleet: Fleet
  secrets: Record<string, string>
}

function ingestSourceContract(name: string, start: (deps: Deps) => Promise<Rig>) {
  describe(`IngestSource contract: ${name}`, () => {
    let dir: string
    let state: EmbeddedStateStore
    let readings: EmbeddedReadingStore
    let rig: Rig
    let held: Promise<void> | undefined
    let keep = true
    const changes: string[] = []
    const station = fixtureStation('src1')
    const door = 'src1-door-main'

    beforeEach(async () => {
      dir = tempDir('sw-source-')
      state = new EmbeddedStateStore({ dataDir: dir })
      readings = new EmbeddedReadingStore(state.db, state.writer)
      const fleet = new Fleet([stationSchema.parse(station.json)])
      const hub = new EventHub<IngestEvents>()
      hub.on('stationChanged', (s, r) => changes.push(...r.touched))
      // Points written so far, so that a message's own points are known (`position()`, contract of AckGate).
      let written = 0
      const counted = Object.assign(Object.create(readings) as EmbeddedReadingStore, {
        write: (points: Parameters<EmbeddedReadingStore['write']>[0]) => {
          written += points.length
          readings.write(points)
        },
      })
      const ingest = new Ingest({ fleet, readings: counted, records: state.records, clock: systemClock, observer: { accepted: () => undefined, rejected: () => undefined }, hub })
      const gate = {
        durable: async () => {
          if (held) await held
          await Promise.all([readings.durable(), state.committed()])
        },
        position: () => written,
        kept: () => keep,
      }
      rig = await start({ ingest, gate, fleet, secrets: station.secrets })
    })
    afterEach(async () => {
      held = undefined
      keep = true
      changes.length = 0
      await rig.close()
      await readings.close()
      await state.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    const events = () => state.records.queryEvents({ station: 'src1', limit: 100 })

    test('a reading reaches ingest once and is acknowledged only once the stores say it is durable', async () => {
      let release!: () => void
      held = new Promise<void>((r) => (release = r))
      let acked = false
      const sent = rig.send(door, { ts: Date.now(), seq: 1, open: true }).then(() => (acked = true))
      await eventually(() => changes.includes('door:main'), 3000, 'the reading to reach ingest')
      await sleep(200)
      expect(acked).toBe(false)
      release()
      await sent
      await state.records.flush()
      expect((await events()).filter((e) => e.kind === 'door-opened')).toHaveLength(1)
    })

    test('a reading the store did not keep is never acknowledged', async () => {
      keep = false
      let acked = false
      void rig.send(door, { ts: Date.now(), seq: 1, open: true }).then(() => (acked = true), () => undefined)
      await eventually(() => changes.includes('door:main'), 3000, 'the reading to reach ingest')
      await sleep(500)
      expect(acked).toBe(false)
    })

    test('counts the devices connected through it', async () => {
      expect(rig.source.connectedDevices()).toBe(0)
      await rig.connect(door)
      await eventually(() => rig.source.connectedDevices() === 1, 3000, 'one connected device')
    })
  })
}

ingestSourceContract('embedded MQTT broker (MqttFrontDoor)', async ({ ingest, gate, fleet, secrets }) => {
  const door = new MqttFrontDoor({ fleet, ingest, gate, log: pino({ level: 'silent' }), maxMessagesPerSecond: 0, host: '127.0.0.1', port: 0, maxPacketBytes: 65_536 })
  await door.start()
  const clients: mqtt.MqttClient[] = []
  const connect = async (device: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${door.ports().mqttPort}`, { username: device, clientId: device, password: secrets[device]!, protocolVersion: 4, reconnectPeriod: 0 })
    clients.push(c)
    return c
  }
  return {
    source: door,
    connect: async (device) => void (await connect(device)),
    async send(device, body) {
      const c = await connect(device)
      await c.publishAsync(`stations/src1/devices/${device}/state`, JSON.stringify(body), { qos: 1 })
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)))
      await door.stop()
    },
  }
})
