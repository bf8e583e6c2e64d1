import type { AuditEvent } from './audit-event.ts'
import type { DeviceStatus, StateReading } from './readings.ts'
import { RecentMessages } from './recent-messages.ts'
import type { StationModel, Subject } from './station-model.ts'

export interface DoorLive {
  open: boolean
  since: number
  /** true = it opened while no key that opens it was out of the box */
  forced?: boolean
  /** keys that were out (and who took them) when it opened: who is likely inside */
  keysOut?: { id: string; takenBy?: string }[]
}
export interface KeyLive { present: boolean; slot: string | null; takenBy?: string; since: number }
export interface ItemLive {
  present?: boolean
  count?: number
  since: number
  /** when a counted item went below its minimum; cleared at or above it */
  lowSince?: number
}
export interface DeviceLive {
  /** true = heard from and not since declared gone (will, online:false or heartbeat lost) */
  online: boolean
  since: number
  lastSeen?: number
  battery?: number
  rssi?: number
  fw?: string
  tamper?: boolean
  /** when the battery went below the station's threshold; cleared 5 points above it */
  batteryLowSince?: number
  /** when tamper last went true; a new tamper episode is a new alert */
  tamperSince?: number
  /** newest device `ts` applied to the live state: older readings are history only */
  lastTs?: number
  /** recent accepted `seq:ts` pairs, to drop QoS 1 redeliveries */
  recent: RecentMessages
}

/** A device as the snapshot stores it: `recent` as its `seq:ts` strings, oldest first. */
export type DeviceSnapshot = Omit<DeviceLive, 'recent'> & { recent?: string[] }

export interface ApplyResult {
  events: AuditEvent[]
  /** subjects whose live value changed or was re-confirmed, for the rules of those subjects only */
  touched: Subject[]
}

/** The live, mutable picture of one station. Pure: time comes in as arguments. */
export class StationState {
  readonly doors = new Map<string, DoorLive>()
  readonly keys = new Map<string, KeyLive>()
  readonly items = new Map<string, ItemLive>()
  readonly devices = new Map<string, DeviceLive>()
  /** keybox device → slot → key in it */
  readonly slots = new Map<string, Map<string, string | null>>()

  constructor(readonly model: StationModel) {}

  isDuplicate(deviceId: string, seq: number, ts: number): boolean {
    return this.devices.get(deviceId)?.recent.has(seq, ts) ?? false
  }

  isOutOfOrder(deviceId: string, ts: number): boolean {
    const last = this.devices.get(deviceId)?.lastTs
    return last !== undefined && ts < last
  }

  /** Records that a message was accepted, for duplicate detection (history-only messages included). */
  remember(deviceId: string, seq: number, ts: number, now: number): void {
    this.device(deviceId, now).recent.add(seq, ts)
  }

  /** Undoes `remember` for a message the store did not keep, so that its redelivery is taken. */
  forget(deviceId: string, seq: number, ts: number): void {
    this.devices.get(deviceId)?.recent.forget(seq, ts)
  }

  applyState(deviceId: string, reading: StateReading, now: number): ApplyResult {
    const out: ApplyResult = { events: [], touched: [] }
    const dev = this.markHeard(deviceId, now, out)
    dev.lastTs = Math.max(dev.lastTs ?? reading.ts, reading.ts)
    switch (reading.type) {
      case 'door':
        this.applyDoor(deviceId, reading.open, now, out)
        break
      case 'keybox':
        this.applyKeybox(deviceId, reading.slots, reading.user, now, out)
        break
      case 'equipment':
        this.applyItems(deviceId, reading.items, now, out)
        break
    }
    return out
  }

  applyStatus(deviceId: string, status: DeviceStatus, now: number): ApplyResult {
    const out: ApplyResult = { events: [], touched: [] }
    const dev = status.online ? this.markHeard(deviceId, now, out) : this.markOffline(deviceId, now, out, 'device reported offline')
    if (status.battery !== undefined) {
      dev.battery = status.battery
      // Hysteresis: low below the threshold, recovered only 5 points above it.
      const threshold = this.model.rules.batteryLowPercent
      if (status.battery < threshold) dev.batteryLowSince ??= now
      else if (status.battery >= threshold + 5) delete dev.batteryLowSince
    }
    if (status.rssi !== undefined) dev.rssi = status.rssi
    if (status.fw !== undefined) dev.fw = status.fw
    if (status.tamper !== undefined) {
      if (status.tamper && !dev.tamper) dev.tamperSince = now
      dev.tamper = status.tamper
    }
    const subject = this.model.subject('device', deviceId)
    if (!out.touched.includes(subject)) out.touched.push(subject)
    return out
  }

  /** Nothing heard for too long: the device is treated as gone, its subjects become stale. */
  markSilent(deviceId: string, now: number): ApplyResult {
    const out: ApplyResult = { events: [], touched: [] }
    this.markOffline(deviceId, now, out, 'no heartbeat')
    return out
  }

  /** The subjects a device reports on, which go stale with it. */
  subjectsOf(deviceId: string): readonly Subject[] {
    return this.model.subjectsOf(deviceId)
  }

  isDeviceOnline(deviceId: string | undefined): boolean {
    return deviceId !== undefined && (this.devices.get(deviceId)?.online ?? false)
  }

  /** A subject whose device is offline or has never reported: its value cannot be confirmed. */
  isStale(subject: Subject): boolean {
    if (subject.startsWith('door:')) return this.isDoorStale(subject.slice(5))
    if (subject.startsWith('key:')) return this.isKeyStale(subject.slice(4))
    if (subject.startsWith('item:')) return this.isItemStale(subject.slice(5))
    return false
  }

  // By id, for callers that know the kind: no subject string to build, nor to take apart.
  isDoorStale(id: string): boolean {
    return !this.doors.has(id) || !this.isDeviceOnline(this.model.deviceOfDoor(id))
  }

  isKeyStale(id: string): boolean {
    return !this.keys.has(id) || !this.isDeviceOnline(this.model.homeOfKey(id)?.device)
  }

  isItemStale(id: string): boolean {
    return !this.items.has(id) || !this.isDeviceOnline(this.model.deviceOfItem(id))
  }

  /** Keys that open `door` and are out of the box (known, not stale). */
  keysOutFor(door: string): { id: string; takenBy?: string }[] {
    const out: { id: string; takenBy?: string }[] = []
    for (const k of this.model.keysOpening(door)) {
      const live = this.keys.get(k.id)
      if (live && !live.present) out.push(live.takenBy !== undefined ? { id: k.id, takenBy: live.takenBy } : { id: k.id })
    }
    return out
  }

  private device(deviceId: string, now: number): DeviceLive {
    let dev = this.devices.get(deviceId)
    if (!dev) {
      dev = { online: false, since: now, recent: new RecentMessages() }
      this.devices.set(deviceId, dev)
    }
    return dev
  }

  private markHeard(deviceId: string, now: number, out: ApplyResult): DeviceLive {
    const dev = this.device(deviceId, now)
    dev.lastSeen = now
    if (!dev.online) {
      dev.online = true
      dev.since = now
      const subject = this.model.subject('device', deviceId)
      out.events.push({ t: now, station: this.model.id, kind: 'device-online', subject, device: deviceId })
      out.touched.push(subject, ...this.model.subjectsOf(deviceId))
    }
    return dev
  }

  private markOffline(deviceId: string, now: number, out: ApplyResult, why: string): DeviceLive {
    const dev = this.device(deviceId, now)
    if (dev.online) {
      dev.online = false
      dev.since = now
      const subject = this.model.subject('device', deviceId)
      out.events.push({ t: now, station: this.model.id, kind: 'device-offline', subject, device: deviceId, detail: why })
      out.touched.push(subject, ...this.model.subjectsOf(deviceId))
    }
    return dev
  }

  private applyDoor(deviceId: string, open: boolean, now: number, out: ApplyResult): void {
    const cfg = this.model.devices.get(deviceId)
    if (cfg?.type !== 'door') return
    const prev = this.doors.get(cfg.door)
    const subject = this.model.subject('door', cfg.door)
    if (!prev || prev.open !== open) {
      const keysOut = open ? this.keysOutFor(cfg.door) : []
      this.doors.set(cfg.door, open ? { open, since: now, forced: keysOut.length === 0, keysOut } : { open, since: now })
      // The first report of a closed door is not an event: nobody did anything.
      if (prev || open) {
        const event: AuditEvent = { t: now, station: this.model.id, kind: open ? 'door-opened' : 'door-closed', subject, device: deviceId }
        const user = keysOut.find((k) => k.takenBy)?.takenBy
        if (user !== undefined) event.user = user
        if (open) event.detail = keysOut.length ? `keys out: ${keysOut.map((k) => k.id + (k.takenBy ? ` (${k.takenBy})` : '')).join(', ')}` : 'no key out'
        out.events.push(event)
      }
    }
    if (!out.touched.includes(subject)) out.touched.push(subject)
  }

  private applyKeybox(deviceId: string, reported: Record<string, string | null>, user: string | undefined, now: number, out: ApplyResult): void {
    const cfg = this.model.devices.get(deviceId)
    let slots = this.slots.get(deviceId)
    if (!slots) this.slots.set(deviceId, (slots = new Map<string, string | null>()))
    // The keys whose place may have changed, each once, in the order first met.
    const affected: string[] = []
    for (const slot in reported) {
      const key = reported[slot] as string | null
      const before = slots.get(slot)
      if (before && !affected.includes(before)) affected.push(before)
      if (key && !affected.includes(key)) affected.push(key)
      // A slot's own key is affected too: it may be reported for the first time as absent.
      const home = cfg?.type === 'keybox' && Object.hasOwn(cfg.slots, slot) ? cfg.slots[slot] : undefined
      if (home && !affected.includes(home)) affected.push(home)
      slots.set(slot, key)
    }
    for (const key of affected) {
      const where = this.whereIsKey(key)
      const prev = this.keys.get(key)
      const subject = this.model.subject('key', key)
      const known = where !== undefined || this.isHomeSlotReported(key)
      if (!known) continue
      const present = where !== undefined
      const slot = where ?? null
      if (!prev || prev.present !== present || prev.slot !== slot) {
        const next: KeyLive = { present, slot, since: prev && prev.present === present ? prev.since : now }
        if (!present) {
          const takenBy = prev && !prev.present ? prev.takenBy : user
          if (takenBy !== undefined) next.takenBy = takenBy
        }
        this.keys.set(key, next)
        if (prev ? prev.present !== present : !present) {
          const event: AuditEvent = { t: now, station: this.model.id, kind: present ? 'key-returned' : 'key-taken', subject, device: deviceId }
          if (user !== undefined) event.user = user
          out.events.push(event)
        }
      }
      if (!out.touched.includes(subject)) out.touched.push(subject)
    }
  }

  private applyItems(deviceId: string, items: Record<string, boolean | number>, now: number, out: ApplyResult): void {
    for (const id in items) {
      const value = items[id]!
      const prev = this.items.get(id)
      const subject = this.model.subject('item', id)
      if (typeof value === 'number') {
        if (!prev || prev.count !== value) {
          const min = this.model.items.get(id)?.min ?? 0
          const next: ItemLive = { count: value, since: now }
          if (value < min) next.lowSince = prev?.lowSince ?? now
          this.items.set(id, next)
          if (prev) out.events.push({ t: now, station: this.model.id, kind: 'count-changed', subject, device: deviceId, value, detail: `${prev.count ?? '?'} → ${value}` })
        }
      } else if (!prev || prev.present !== value) {
        this.items.set(id, { present: value, since: now })
        // A first report of "present" is the normal state, not an event.
        if (prev || !value) out.events.push({ t: now, station: this.model.id, kind: value ? 'item-returned' : 'item-removed', subject, device: deviceId })
      }
      if (!out.touched.includes(subject)) out.touched.push(subject)
    }
  }

  private whereIsKey(key: string): string | undefined {
    for (const slots of this.slots.values()) for (const [slot, k] of slots) if (k === key) return slot
    return undefined
  }

  private isHomeSlotReported(key: string): boolean {
    const home = this.model.homeOfKey(key)
    return home !== undefined && (this.slots.get(home.device)?.has(home.slot) ?? false)
  }

  /** Serialisable snapshot, for restoring the live picture after a restart. */
  toJSON(): StationSnapshot {
    const devices: Record<string, DeviceSnapshot> = {}
    for (const [id, d] of this.devices) devices[id] = { ...d, recent: d.recent.toJSON() }
    return {
      doors: Object.fromEntries(this.doors),
      keys: Object.fromEntries(this.keys),
      items: Object.fromEntries(this.items),
      devices,
      slots: Object.fromEntries([...this.slots].map(([d, s]) => [d, Object.fromEntries(s)])),
    }
  }

  /** Restores a snapshot, keeping only what the current configuration still knows. */
  restore(snap: StationSnapshot): void {
    const m = this.model
    for (const [id, v] of Object.entries(snap.doors ?? {})) if (m.doors.has(id)) this.doors.set(id, v)
    for (const [id, v] of Object.entries(snap.keys ?? {})) if (m.keys.has(id)) this.keys.set(id, v)
    for (const [id, v] of Object.entries(snap.items ?? {})) if (m.items.has(id)) this.items.set(id, v)
    for (const [id, v] of Object.entries(snap.devices ?? {})) if (m.devices.has(id)) this.devices.set(id, { ...v, recent: RecentMessages.from(v.recent ?? []) })
    for (const [id, s] of Object.entries(snap.slots ?? {})) if (m.devices.get(id)?.type === 'keybox') this.slots.set(id, new Map(Object.entries(s)))
  }
}

export interface StationSnapshot {
  doors?: Record<string, DoorLive>
  keys?: Record<string, KeyLive>
  items?: Record<string, ItemLive>
  devices?: Record<string, DeviceSnapshot>
  slots?: Record<string, Record<string, string | null>>
}
