import { EventHub } from '../../../src/event-hub.ts'
import { AlertEngine, type AlertEvents } from '../../../src/alerts/alert-engine.ts'
import type { Alert, AlertChange, AlertRecord, AlertState, Incident } from '../../../src/alerts/alert.ts'
import type { AlertStore } from '../../../src/alerts/alert-store.ts'
import { Fleet } from '../../../src/domain/fleet.ts'
import type { DeviceStatus, StateReading } from '../../../src/domain/readings.ts'
import { stationSchema, type Rules } from '../../../src/domain/station.ts'
import { FakeTime } from '../../helpers/fake-time.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

type ReadingBody = StateReading extends infer R ? (R extends StateReading ? Omit<R, 'ts' | 'seq'> : never) : never

/**
 * Keeps copies, as a database would: what the engine holds and what was saved are different
 * objects. Answers through Promises, as the StateStore port does.
 */
export class MemoryAlertStore implements AlertStore {
  readonly rows = new Map<string, string>()
  readonly incidentRows = new Map<string, string>()
  saves = 0

  saveAlert(a: AlertRecord): void {
    this.saves++
    this.rows.set(a.id, JSON.stringify(a))
  }
  durable(): Promise<void> {
    return Promise.resolve()
  }
  async getAlert(id: string): Promise<AlertRecord | undefined> {
    const row = this.rows.get(id)
    return row ? (JSON.parse(row) as AlertRecord) : undefined
  }
  async queryAlerts(q: { state?: AlertState; station?: string; limit: number }): Promise<AlertRecord[]> {
    return this.all()
      .filter((a) => (!q.state || a.state === q.state) && (!q.station || a.station === q.station))
      .slice(0, q.limit)
  }
  async loadForEngine(): Promise<{ unresolved: AlertRecord[]; latestOccurrence: Map<string, number> }> {
    const latest = new Map<string, AlertRecord>()
    for (const a of this.all()) {
      const key = `${a.station}|${a.rule}|${a.subject}`
      const prev = latest.get(key)
      if (!prev || a.openedAt >= prev.openedAt) latest.set(key, a)
    }
    return { unresolved: this.all().filter((a) => a.state !== 'resolved'), latestOccurrence: new Map([...latest].map(([k, a]) => [k, a.occurrence])) }
  }
  saveIncident(i: Incident): void {
    this.incidentRows.set(i.id, JSON.stringify(i))
  }
  async getIncident(id: string): Promise<Incident | undefined> {
    const row = this.incidentRows.get(id)
    return row ? (JSON.parse(row) as Incident) : undefined
  }
  async openIncidents(): Promise<Incident[]> {
    return [...this.incidentRows.values()].map((r) => JSON.parse(r) as Incident).filter((i) => i.closedAt === undefined)
  }
  async lastIncidentClose(): Promise<Map<string, number>> {
    const m = new Map<string, number>()
    for (const i of [...this.incidentRows.values()].map((r) => JSON.parse(r) as Incident)) if (i.closedAt !== undefined) m.set(i.station, Math.max(m.get(i.station) ?? 0, i.closedAt))
    return m
  }
  private all(): AlertRecord[] {
    return [...this.rows.values()].map((r) => JSON.parse(r) as AlertRecord)
  }
}

export const RULES: Partial<Rules> = { doorOpenMaxSeconds: 60, keyOverdueSeconds: 120, equipmentMissingSeconds: 90, heartbeatSeconds: 3600, batteryLowPercent: 20, escalateAfterSeconds: 30 }

/**
 * A real engine on fixture stations (two doors, a key box with two keys, a shelf with a
 * professional item, a supply and a counted supply, min 24) with a fake clock, fed the way
 * ingest feeds it: the live state applies a reading, the engine hears the change.
 */
export class EngineRig {
  readonly time = new FakeTime()
  readonly fleet: Fleet
  readonly changes: { alert: Alert; change: AlertChange; by?: string }[] = []
  engine!: AlertEngine
  private seq = 0

  private constructor(
    readonly stations: string[],
    readonly store: MemoryAlertStore,
    rules: Partial<Rules>,
    private readonly owns?: (station: string) => boolean,
  ) {
    this.fleet = new Fleet(stations.map((id) => stationSchema.parse(fixtureStation(id, rules).json)))
  }

  /** A rig with its engine started (the engine's start awaits its store); `owns` as in cluster mode. */
  static async create(stations: string[] = ['s1', 's2'], store = new MemoryAlertStore(), rules: Partial<Rules> = RULES, opts: { owns?: (station: string) => boolean } = {}): Promise<EngineRig> {
    const rig = new EngineRig(stations, store, rules, opts.owns)
    await rig.boot()
    return rig
  }

  /** A new engine over the same live state and store, as after a restart of the service. */
  async boot(): Promise<void> {
    this.engine?.stop()
    const hub = new EventHub<AlertEvents>()
    hub.on('alertChanged', (alert, change, by) => this.changes.push({ alert, change, ...(by ? { by } : {}) }))
    this.engine = new AlertEngine({
      fleet: this.fleet,
      store: this.store,
      clock: this.time,
      timers: this.time,
      hub,
      onSilent: (device) => {
        const found = this.fleet.device(device)!
        this.engine.handleChange(found.station, found.station.markSilent(device, this.time.now()))
      },
      ...(this.owns ? { owns: this.owns } : {}),
    })
    await this.engine.start()
  }

  state(station: string, device: string, body: ReadingBody): void {
    const st = this.fleet.stations.get(station)!
    const reading = { ...body, ts: this.time.now(), seq: ++this.seq }
    this.engine.handleChange(st, st.applyState(`${station}-${device}`, reading, this.time.now()))
  }

  status(station: string, device: string, status: DeviceStatus): void {
    const st = this.fleet.stations.get(station)!
    this.engine.handleChange(st, st.applyStatus(`${station}-${device}`, status, this.time.now()))
  }

  door(station: string, open: boolean, door: 'door-main' | 'door-room' = 'door-main'): void {
    this.state(station, door, { type: 'door', open })
  }

  keys(station: string, slots: Record<string, string | null>, user?: string): void {
    this.state(station, 'keybox', { type: 'keybox', slots, ...(user ? { user } : {}) })
  }

  items(station: string, items: Record<string, boolean | number>): void {
    this.state(station, 'shelf', { type: 'equipment', items })
  }

  /** Every device online, doors closed, keys in, everything on the shelf. */
  calm(station: string): void {
    for (const d of ['door-main', 'door-room', 'keybox', 'shelf']) this.status(station, d, { online: true })
    this.door(station, false, 'door-main')
    this.door(station, false, 'door-room')
    this.keys(station, { '1': 'key-main-1', '2': 'key-room-1' })
    this.items(station, { 'spreader-1': true, extinguisher: true, water: 30 })
  }

  advance(seconds: number): void {
    this.time.advance(seconds * 1000)
  }

  /** What the index answers must always equal what a scan of the open alerts finds. */
  scanned(station: string): { count: number; forced: string[] } {
    const open = this.engine.openAlerts().filter((a) => a.station === station)
    return { count: open.length, forced: open.filter((a) => a.rule === 'door-forced').map((a) => a.subject.slice('door:'.length)).sort() }
  }

  indexed(station: string): { count: number; forced: string[] } {
    return { count: this.engine.unresolvedCount(station), forced: [...this.engine.forcedDoors(station)].sort() }
  }
}
