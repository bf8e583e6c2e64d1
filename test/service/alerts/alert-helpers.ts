import type { MqttClient } from 'mqtt'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { FakeTime } from '../../helpers/fake-time.ts'
import { eventually, publishState, publishStatus, startTestService, type TestService } from '../../helpers/service.ts'
import type { Rules } from '../../../src/domain/station.ts'

export const S = 'alertstation'
export const DOOR = `${S}-door-main`
export const ROOM = `${S}-door-room`
export const KEYBOX = `${S}-keybox`
export const SHELF = `${S}-shelf`

/**
 * Thresholds in minutes, driven by a fake clock so a test takes milliseconds.
 * The heartbeat is a day so that hours of fake time need no heartbeats; the
 * silence test sets its own.
 */
export const RULES: Partial<Rules> = {
  doorOpenMaxSeconds: 600,
  keyOverdueSeconds: 3600,
  equipmentMissingSeconds: 1800,
  heartbeatSeconds: 86_400,
  batteryLowPercent: 20,
  escalateAfterSeconds: 300,
}

export interface AlertRig {
  t: TestService
  time: FakeTime
  devices: Record<'door' | 'room' | 'keybox' | 'shelf', MqttClient>
  seq: number
  /** fake time when the rig finished setting up */
  t0: number
  door(open: boolean, device?: string): Promise<void>
  keys(slots: Record<string, string | null>, user?: string): Promise<void>
  items(items: Record<string, boolean | number>): Promise<void>
  status(device: string, body: Record<string, unknown>): Promise<void>
  /** alerts from the API, optionally filtered */
  alerts(filter?: { rule?: string; subject?: string; state?: string }): Promise<any[]>
  waitAlert(rule: string, subject: string, pred?: (a: any) => boolean): Promise<any>
  /** lets the service take in what was published (the PUBACK is already back) */
  settle(): Promise<void>
  advance(seconds: number): Promise<void>
}

/**
 * A station with every device connected and a normal starting state: doors
 * closed, keys in the box, everything on the shelf, stock above minimum.
 */
export async function startAlertRig(rules: Partial<Rules> = RULES, env: Record<string, string> = {}, time = new FakeTime(), dataDir?: string): Promise<AlertRig> {
  const station = fixtureStation(S, rules)
  const t = await startTestService({ stations: [station], clock: time, timers: time, env, ...(dataDir ? { dataDir } : {}) })
  const rig: AlertRig = {
    t,
    time,
    devices: {} as AlertRig['devices'],
    seq: 0,
    t0: 0,
    async door(open, device = DOOR) {
      await publishState(rig.devices[device === DOOR ? 'door' : 'room'], S, device, { ts: time.now(), seq: ++rig.seq, open })
      await rig.settle()
    },
    async keys(slots, user) {
      await publishState(rig.devices.keybox, S, KEYBOX, { ts: time.now(), seq: ++rig.seq, slots, ...(user ? { user } : {}) })
      await rig.settle()
    },
    async items(items) {
      await publishState(rig.devices.shelf, S, SHELF, { ts: time.now(), seq: ++rig.seq, items })
      await rig.settle()
    },
    async status(device, body) {
      const key = device === DOOR ? 'door' : device === ROOM ? 'room' : device === KEYBOX ? 'keybox' : 'shelf'
      await publishStatus(rig.devices[key], S, device, body)
      await rig.settle()
    },
    async alerts(filter = {}) {
      const r = await t.api(`/api/alerts${filter.state ? `?state=${filter.state}` : ''}`)
      if (r.status !== 200) throw new Error(`GET /api/alerts: ${r.status} ${r.text}`)
      return (r.body as any[]).filter((a) => (!filter.rule || a.rule === filter.rule) && (!filter.subject || a.subject === filter.subject))
    },
    async waitAlert(rule, subject, pred = () => true) {
      return eventually(async () => (await rig.alerts({ rule, subject })).find(pred), 3000, `${rule} on ${subject}`)
    },
    async settle() {
      // The broker acknowledged after ingest ran (authorizePublish is synchronous); one turn lets listeners finish.
      await new Promise((r) => setImmediate(r))
    },
    async advance(seconds) {
      time.advance(seconds * 1000)
      await rig.settle()
    },
  }
  rig.devices.door = await t.device(DOOR)
  rig.devices.room = await t.device(ROOM)
  rig.devices.keybox = await t.device(KEYBOX)
  rig.devices.shelf = await t.device(SHELF)
  for (const d of [DOOR, ROOM, KEYBOX, SHELF]) await rig.status(d, { online: true, battery: 90, rssi: -60, fw: '1.0.0', tamper: false })
  await rig.door(false, DOOR)
  await rig.door(false, ROOM)
  await rig.keys({ '1': 'key-main-1', '2': 'key-room-1' })
  await rig.items({ 'spreader-1': true, extinguisher: true, water: 30 })
  rig.t0 = time.now()
  return rig
}
