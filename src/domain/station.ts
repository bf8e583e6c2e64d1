import { z } from 'zod'

/** Ids are used in MQTT topics, URLs and InfluxDB tags, so they stay plain. */
export const idSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must match ^[a-z0-9][a-z0-9-]{0,62}$')

const secretHashSchema = z
  .string()
  .regex(/^sha256:[0-9a-f]{16,}:[0-9a-f]{64}$/, 'must be sha256:<salt, ≥16 hex>:<64 hex digest>')

export const rulesSchema = z
  .object({
    doorOpenMaxSeconds: z.number().positive().default(600),
    keyOverdueSeconds: z.number().positive().default(14400),
    equipmentMissingSeconds: z.number().positive().default(1800),
    heartbeatSeconds: z.number().positive().default(60),
    batteryLowPercent: z.number().min(0).max(100).default(20),
    escalateAfterSeconds: z.number().positive().default(300),
    /** a ledger batch is `expiring` this many days before its expiry date (per item: `expiryWarnDays`) */
    expiryWarnDays: z.number().int().nonnegative().default(30),
  })
  .strict()

/** a device disabled through the API (contract v2 §E): kept in its station, refused by the broker, no longer monitored */
const disabledSchema = z.literal(true).optional()

const doorDeviceSchema = z
  .object({ id: idSchema, type: z.literal('door'), door: idSchema, secretHash: secretHashSchema, name: z.string().optional(), disabled: disabledSchema })
  .strict()
const keyboxDeviceSchema = z
  .object({
    id: idSchema,
    type: z.literal('keybox'),
    slots: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'slot names are 1-16 letters, digits, - or _'), idSchema),
    secretHash: secretHashSchema,
    name: z.string().optional(),
    disabled: disabledSchema,
  })
  .strict()
const equipmentDeviceSchema = z
  .object({ id: idSchema, type: z.literal('equipment'), items: z.array(idSchema).min(1), secretHash: secretHashSchema, name: z.string().optional(), disabled: disabledSchema })
  .strict()

export const deviceSchema = z.discriminatedUnion('type', [doorDeviceSchema, keyboxDeviceSchema, equipmentDeviceSchema])

/** `09:00` (day), `mon 09:00` (week), `1 09:00` (month: day 1-31, the month's last day when it is shorter). */
export const DUE_FORMATS = {
  day: /^([01]\d|2[0-3]):([0-5]\d)$/,
  week: /^(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):([0-5]\d)$/,
  month: /^([1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d)$/,
} as const
const DUE_EXAMPLE = { day: '09:00', week: 'mon 09:00', month: '1 09:00' } as const

const inspectionSchema = z
  .object({
    id: idSchema,
    name: z.string().min(1),
    every: z.enum(['day', 'week', 'month']),
    due: z.string(),
    items: z.array(z.object({ id: idSchema, text: z.string().min(1) }).strict()).min(1),
  })
  .strict()

export const stationSchema = z
  .object({
    id: idSchema,
    name: z.string().min(1),
    /** the street office or district that runs it (e.g. 七里河街道): the overview groups by it (contract v2 §E) */
    district: z.string().min(1).optional(),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
    doors: z.array(z.object({ id: idSchema, name: z.string().min(1) }).strict()),
    keys: z.array(
      z.object({ id: idSchema, name: z.string().min(1), opens: z.array(idSchema).min(1), holder: z.string().min(1).optional() }).strict(),
    ),
    equipment: z.array(
      z
        .object({
          id: idSchema,
          name: z.string().min(1),
          category: z.string().min(1),
          kind: z.enum(['professional', 'supply']),
          /** present → the item is counted, and below `min` is low stock */
          min: z.number().int().nonnegative().optional(),
          /** GB/T 38565 emergency-supply code */
          code: z.string().regex(/^\d{7}$/, 'must be a GB/T 38565 code of 7 digits').optional(),
          /** overrides `rules.expiryWarnDays` for this item's batches */
          expiryWarnDays: z.number().int().nonnegative().optional(),
        })
        .strict(),
    ),
    devices: z.array(deviceSchema),
    rules: rulesSchema.default(rulesSchema.parse({})),
    /** walk-round checks with a due time in the station's zone (contract v2 §D) */
    inspections: z.array(inspectionSchema).default([]),
  })
  .strict()
  .superRefine(checkReferences)
  .superRefine(checkInspections)

export type StationConfig = z.infer<typeof stationSchema>
export type DeviceConfig = z.infer<typeof deviceSchema>
export type Rules = z.infer<typeof rulesSchema>
export type DoorConfig = StationConfig['doors'][number]
export type KeyConfig = StationConfig['keys'][number]
export type ItemConfig = StationConfig['equipment'][number]
export type DeviceType = DeviceConfig['type']
export type InspectionConfig = StationConfig['inspections'][number]

function checkInspections(s: { inspections: InspectionConfig[] }, ctx: z.RefinementCtx): void {
  const ids = new Set<string>()
  s.inspections.forEach((insp, i) => {
    if (ids.has(insp.id)) ctx.addIssue({ code: 'custom', path: ['inspections', i, 'id'], message: `duplicate inspection id "${insp.id}"` })
    ids.add(insp.id)
    if (!DUE_FORMATS[insp.every].test(insp.due)) ctx.addIssue({ code: 'custom', path: ['inspections', i, 'due'], message: `must be like "${DUE_EXAMPLE[insp.every]}" for every "${insp.every}"` })
    const items = new Set<string>()
    insp.items.forEach((item, j) => {
      if (items.has(item.id)) ctx.addIssue({ code: 'custom', path: ['inspections', i, 'items', j, 'id'], message: `duplicate item id "${item.id}"` })
      items.add(item.id)
    })
  })
}

const knownTimeZones = new Map<string, boolean>()

/** Cached: a city's hundreds of station files share one or two zones. */
function isTimeZone(tz: string): boolean {
  let ok = knownTimeZones.get(tz)
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz })
      ok = true
    } catch {
      ok = false
    }
    knownTimeZones.set(tz, ok)
  }
  return ok
}

/** Cross-references inside one file; cross-file uniqueness is checked by the loader. */
function checkReferences(s: { doors: { id: string }[]; keys: { id: string; opens: string[] }[]; equipment: { id: string }[]; devices: DeviceConfig[] }, ctx: z.RefinementCtx): void {
  const doors = new Set<string>()
  s.doors.forEach((d, i) => (doors.has(d.id) ? ctx.addIssue({ code: 'custom', path: ['doors', i, 'id'], message: `duplicate door id "${d.id}"` }) : doors.add(d.id)))
  const keys = new Set<string>()
  s.keys.forEach((k, i) => {
    if (keys.has(k.id)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `duplicate key id "${k.id}"` })
    keys.add(k.id)
    k.opens.forEach((d, j) => {
      if (!doors.has(d)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'opens', j], message: `unknown door "${d}"` })
    })
  })
  const items = new Set<string>()
  s.equipment.forEach((e, i) => (items.has(e.id) ? ctx.addIssue({ code: 'custom', path: ['equipment', i, 'id'], message: `duplicate item id "${e.id}"` }) : items.add(e.id)))
  const deviceIds = new Set<string>()
  const coveredItems = new Map<string, string>()
  const coveredKeys = new Map<string, string>()
  const coveredDoors = new Map<string, string>()
  s.devices.forEach((d, i) => {
    if (deviceIds.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id "${d.id}"` })
    deviceIds.add(d.id)
    // A disabled device keeps its id but covers nothing: its replacement may take its door, slots or items.
    if (d.disabled) return
    if (d.type === 'door') {
      if (!doors.has(d.door)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'door'], message: `unknown door "${d.door}"` })
      else if (coveredDoors.has(d.door)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'door'], message: `door "${d.door}" already has device "${coveredDoors.get(d.door)}"` })
      coveredDoors.set(d.door, d.id)
    } else if (d.type === 'keybox') {
      for (const [slot, key] of Object.entries(d.slots)) {
        if (!keys.has(key)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'slots', slot], message: `unknown key "${key}"` })
        else if (coveredKeys.has(key)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'slots', slot], message: `key "${key}" already has a slot on "${coveredKeys.get(key)}"` })
        coveredKeys.set(key, d.id)
      }
    } else {
      d.items.forEach((item, j) => {
        if (!items.has(item)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'items', j], message: `unknown item "${item}"` })
        else if (coveredItems.has(item)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'items', j], message: `item "${item}" is already read by "${coveredItems.get(item)}"` })
        coveredItems.set(item, d.id)
      })
    }
  })
}

/**
 * The station as it is monitored: without its disabled devices (they stay in the station's
 * configuration, and in its file form, so that their ids stay taken and the export says so).
 */
export function withoutDisabledDevices(config: StationConfig): StationConfig {
  return config.devices.some((d) => d.disabled) ? { ...config, devices: config.devices.filter((d) => !d.disabled) } : config
}

/**
 * Items a device reports on. The others are the ledger's: their count and presence come from its
 * usable units, and their `stock-low` is judged from it (not by the engine's item rules).
 */
export function sensedItems(config: Pick<StationConfig, 'devices'>): ReadonlySet<string> {
  return new Set(config.devices.flatMap((d) => (d.type === 'equipment' ? d.items : [])))
}
