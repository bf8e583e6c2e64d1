import { MALFORMED, type MalformedKind, type MalformedOutcome } from './malformed.ts'
import type { Rng } from './prng.ts'
import { DEFAULT_RULES, effectiveRules, type RuleName, type Rules, type Station, type StationDevice, type StationItem } from './station.ts'

export type AlertRule =
  | 'door-forced'
  | 'door-open-too-long'
  | 'key-overdue'
  | 'equipment-missing'
  | 'stock-low'
  | 'device-offline'
  | 'battery-low'
  | 'tamper'
export type Severity = 'info' | 'warning' | 'critical'

/** An alert the service must have raised by the end of the scenario (contract §6). */
export interface ExpectedAlert {
  station: string
  rule: AlertRule
  subject: string
  severity: Severity
  /** at the end: still `active` (or acknowledged), or `resolved` by the service itself */
  state: 'active' | 'resolved'
  /** the contract allows the service not to raise it (e.g. the broker "may" close a connection) */
  optional?: boolean
  why: string
}

/** A message the service must refuse, ignore or keep as history only. */
export interface ExpectedReject {
  station: string
  device: string
  kind: MalformedKind
  outcome: MalformedOutcome
}

/** One step of a station's timeline; the runtime turns it into MQTT messages. */
export type PlannedAction =
  | { do: 'announce'; device: string }
  | { do: 'take-key'; key: string; user: string }
  | { do: 'return-key'; key: string; user: string }
  | { do: 'door'; door: string; open: boolean }
  | { do: 'items'; items: Record<string, boolean | number> }
  | { do: 'status'; device: string; battery?: number; tamper?: boolean }
  | { do: 'drop'; devices: string[] }
  | { do: 'rejoin'; devices: string[] }
  | { do: 'malformed'; device: string; kind: MalformedKind; fields: Record<string, unknown>; topicDevice?: string }
  | { do: 'incident'; open: boolean }
  | { do: 'end' }

/** `t` is scenario time in ms from the start of the run; real time is `t / speed`. */
export interface TimedAction {
  t: number
  action: PlannedAction
}

export interface Scenario {
  name: string
  /** one line, for --help and the summary */
  summary: string
  /** what happens, in the order it happens, and what the service should make of it */
  description: string
  /**
   * The station rules (real seconds, as the service reads them) this scenario is
   * designed for at `speed`. The timeline adapts to whatever rules the station
   * really has, so other rules still give the expected alerts, only slower.
   */
  rules(speed: number): Rules
  /** opens and closes incidents through the HTTP API (see IncidentControl) */
  needsIncidents?: boolean
  /** fills in one station's timeline and expectations */
  plan(p: Plan): void
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
/**
 * Real seconds added past a threshold before a scenario counts on the alert:
 * the service's timed rules run on a timer, not on the exact millisecond.
 */
export const SETTLE_SECONDS = 3
/** Heartbeats never go below this (real seconds): 10,000 devices at 10 s is already 1,000 status messages/s. */
export const MIN_HEARTBEAT_SECONDS = 10

/**
 * The default rules with every duration divided by `speed`, rounded up to whole
 * seconds, so that "10 minutes" of scenario time is still 10 minutes of rules
 * time. Heartbeats stay at or above MIN_HEARTBEAT_SECONDS.
 */
export function scaledRules(speed: number, overrides: Partial<Rules> = {}): Rules {
  const scale = (s: number): number => Math.max(1, Math.ceil(s / speed))
  return {
    doorOpenMaxSeconds: scale(DEFAULT_RULES.doorOpenMaxSeconds),
    keyOverdueSeconds: scale(DEFAULT_RULES.keyOverdueSeconds),
    equipmentMissingSeconds: scale(DEFAULT_RULES.equipmentMissingSeconds),
    heartbeatSeconds: Math.max(MIN_HEARTBEAT_SECONDS, scale(DEFAULT_RULES.heartbeatSeconds)),
    batteryLowPercent: DEFAULT_RULES.batteryLowPercent,
    escalateAfterSeconds: scale(DEFAULT_RULES.escalateAfterSeconds),
    ...overrides,
  }
}

/** Full shelf for a counted item: comfortably above its minimum. */
export function fullStock(item: StationItem): number {
  return Math.ceil((item.min ?? 0) * 1.5) + 2
}

/**
 * Builds one station's timeline. Actions must be added in time order: the plan
 * keeps a model of the station (keys out, doors open, stock) so a scenario can
 * ask "how many are left?" and so a scenario that takes a key twice fails here,
 * not at the service.
 */
export class Plan {
  readonly actions: TimedAction[] = []
  readonly expectedAlerts: ExpectedAlert[] = []
  readonly expectedRejects: ExpectedReject[] = []
  readonly rules: Rules
  private lastT = 0
  private ended = false
  private readonly keysOut = new Map<string, string>()
  private readonly doorsOpen = new Set<string>()
  private readonly stock = new Map<string, boolean | number>()
  private readonly items: Map<string, StationItem>

  constructor(
    readonly station: Station,
    readonly speed: number,
    readonly rng: Rng,
  ) {
    this.rules = effectiveRules(station)
    this.items = new Map(station.equipment.map((i) => [i.id, i]))
    for (const item of station.equipment) this.stock.set(item.id, item.min === undefined ? true : fullStock(item))
    // Every device first reports its whole reading: the scenario starts from a known station.
    for (const d of station.devices) this.add(0, { do: 'announce', device: d.id })
  }

  // ── time ──────────────────────────────────────────────────────────────
  seconds(n: number): number {
    return n * SECOND
  }
  minutes(n: number): number {
    return n * MINUTE
  }
  hours(n: number): number {
    return n * HOUR
  }
  /** A real-time duration (seconds) as scenario time. */
  real(seconds: number): number {
    return seconds * SECOND * this.speed
  }
  /** A rule's threshold as scenario time. */
  threshold(rule: RuleName): number {
    return this.real(this.rules[rule])
  }
  /** Long enough past a rule's threshold that the service must have fired it. */
  beyond(rule: RuleName): number {
    return this.threshold(rule) * 1.5 + this.real(SETTLE_SECONDS)
  }
  /** A natural duration, cut to half a rule's threshold so that it can never fire it. */
  within(rule: RuleName, natural: number): number {
    return Math.min(natural, this.threshold(rule) / 2)
  }
  /** A scenario duration, but at least `realSeconds` of real time. */
  atLeastReal(scenarioMs: number, realSeconds: number): number {
    return Math.max(scenarioMs, this.real(realSeconds))
  }
  get now(): number {
    return this.lastT
  }

  // ── the station, for choosing what to act on ─────────────────────────
  devicesOf<T extends StationDevice['type']>(type: T): Extract<StationDevice, { type: T }>[] {
    return this.station.devices.filter((d): d is Extract<StationDevice, { type: T }> => d.type === type)
  }
  keysOpening(door: string): Station['keys'] {
    return this.station.keys.filter((k) => k.opens.includes(door))
  }
  keysInBox(door: string): Station['keys'] {
    return this.keysOpening(door).filter((k) => !this.keysOut.has(k.id))
  }
  professionalItems(): StationItem[] {
    return this.station.equipment.filter((i) => i.kind === 'professional')
  }
  countedItems(): StationItem[] {
    return this.station.equipment.filter((i) => i.min !== undefined)
  }
  /** Supplies tracked as present or absent. */
  presenceSupplies(): StationItem[] {
    return this.station.equipment.filter((i) => i.kind === 'supply' && i.min === undefined)
  }
  item(id: string): StationItem {
    const item = this.items.get(id)
    if (!item) throw new Error(`${this.station.id}: no item "${id}"`)
    return item
  }
  stockOf(id: string): boolean | number {
    return this.stock.get(id)!
  }
  /**
   * The door one passes to reach an item. Station files do not say where things
   * are kept, so the simulator assumes the demo layout: professional kit behind
   * the first door (the hall), supplies behind the last (the equipment room).
   */
  doorFor(item: StationItem): string {
    const doors = this.station.doors
    if (doors.length === 0) throw new Error(`${this.station.id}: no doors`)
    return (item.kind === 'professional' ? doors[0] : doors[doors.length - 1])!.id
  }

  // ── actions ───────────────────────────────────────────────────────────
  takeKey(t: number, key: string, user: string): void {
    if (this.keysOut.has(key)) throw new Error(`${this.station.id}: key "${key}" is already out`)
    this.keysOut.set(key, user)
    this.add(t, { do: 'take-key', key, user })
  }
  returnKey(t: number, key: string, user: string): void {
    if (!this.keysOut.delete(key)) throw new Error(`${this.station.id}: key "${key}" is not out`)
    this.add(t, { do: 'return-key', key, user })
  }
  openDoor(t: number, door: string): void {
    this.doorsOpen.add(door)
    this.add(t, { do: 'door', door, open: true })
  }
  closeDoor(t: number, door: string): void {
    this.doorsOpen.delete(door)
    this.add(t, { do: 'door', door, open: false })
  }
  /** The door sensor reports what it already reported (a periodic re-send). */
  reportDoor(t: number, door: string): void {
    this.add(t, { do: 'door', door, open: this.doorsOpen.has(door) })
  }
  isOpen(door: string): boolean {
    return this.doorsOpen.has(door)
  }
  /** Sets items to new values: a count for counted items, presence for the others. */
  setItems(t: number, values: Record<string, boolean | number>): void {
    for (const [id, v] of Object.entries(values)) {
      const counted = this.item(id).min !== undefined
      if (counted !== (typeof v === 'number')) throw new Error(`${this.station.id}: item "${id}" takes a ${counted ? 'count' : 'boolean'}`)
      if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) throw new Error(`${this.station.id}: count for "${id}" must be a non-negative integer`)
      this.stock.set(id, v)
    }
    this.add(t, { do: 'items', items: { ...values } })
  }
  status(t: number, device: string, change: { battery?: number; tamper?: boolean }): void {
    this.add(t, { do: 'status', device, ...change })
  }
  /** Devices drop off without DISCONNECT; their wills are published. */
  drop(t: number, devices: string[]): void {
    this.add(t, { do: 'drop', devices })
  }
  /** Devices reconnect (all at once) and report status and state. */
  rejoin(t: number, devices: string[]): void {
    this.add(t, { do: 'rejoin', devices })
  }
  malformed(t: number, device: string, kind: MalformedKind, fields: Record<string, unknown>, topicDevice?: string): void {
    this.add(t, { do: 'malformed', device, kind, fields, ...(topicDevice ? { topicDevice } : {}) })
    this.expectedRejects.push({ station: this.station.id, device, kind, outcome: MALFORMED[kind].outcome })
  }
  openIncident(t: number): void {
    this.add(t, { do: 'incident', open: true })
  }
  closeIncident(t: number): void {
    this.add(t, { do: 'incident', open: false })
  }
  expect(alert: Omit<ExpectedAlert, 'station'>): void {
    this.expectedAlerts.push({ station: this.station.id, ...alert })
  }
  /** The timeline ends at `t`; the simulation's `done` resolves when every station's has. */
  finish(t: number): void {
    this.add(t, { do: 'end' })
    this.ended = true
  }
  get end(): number {
    return this.ended ? this.lastT : Number.NaN
  }

  private add(t: number, action: PlannedAction): void {
    if (this.ended) throw new Error(`${this.station.id}: action after finish()`)
    if (!(t >= this.lastT)) throw new Error(`${this.station.id}: actions must be added in time order (${t} after ${this.lastT})`)
    this.lastT = t
    this.actions.push({ t, action })
  }
}

/** Severity the contract gives an equipment-missing alert for this item. */
export function missingSeverity(item: StationItem): Severity {
  return item.kind === 'professional' ? 'critical' : 'warning'
}
