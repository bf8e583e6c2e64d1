import { z } from 'zod'

/**
 * The station file of contract §2, as the simulator reads it. Kept separate from
 * the service's own schema on purpose: the simulator is a client of the contract,
 * and a test checks that the service accepts what the simulator writes.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
const id = z.string().regex(ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,62}$')
const secretHash = z.string().regex(/^sha256:[0-9a-f]{16,}:[0-9a-f]{64}$/, 'must be sha256:<salt, ≥16 hex>:<64 hex digest>')

export const DEFAULT_RULES = {
  doorOpenMaxSeconds: 600,
  keyOverdueSeconds: 14400,
  equipmentMissingSeconds: 1800,
  heartbeatSeconds: 60,
  batteryLowPercent: 20,
  escalateAfterSeconds: 300,
} as const

export type Rules = { -readonly [K in keyof typeof DEFAULT_RULES]: number }
export type RuleName = keyof Rules

const rulesSchema = z
  .object({
    doorOpenMaxSeconds: z.number().positive(),
    keyOverdueSeconds: z.number().positive(),
    equipmentMissingSeconds: z.number().positive(),
    heartbeatSeconds: z.number().positive(),
    batteryLowPercent: z.number().min(0).max(100),
    escalateAfterSeconds: z.number().positive(),
  })
  .partial()

const deviceSchema = z.discriminatedUnion('type', [
  z.object({ id, type: z.literal('door'), door: id, secretHash }),
  // A keybox slot name → the key that belongs in that slot.
  z.object({ id, type: z.literal('keybox'), slots: z.record(z.string().min(1), id), secretHash }),
  z.object({ id, type: z.literal('equipment'), items: z.array(id).min(1), secretHash }),
])

export const stationSchema = z.object({
  id,
  name: z.string().min(1),
  timezone: z.string().min(1).optional(),
  doors: z.array(z.object({ id, name: z.string().min(1) })),
  keys: z.array(z.object({ id, name: z.string().min(1), opens: z.array(id).min(1), holder: z.string().min(1).optional() })),
  equipment: z.array(
    z.object({
      id,
      name: z.string().min(1),
      category: z.string().min(1),
      kind: z.enum(['professional', 'supply']),
      /** present → counted (an integer on the shelf); absent → present or not (a boolean) */
      min: z.number().int().nonnegative().optional(),
    }),
  ),
  devices: z.array(deviceSchema).min(1),
  rules: rulesSchema.optional(),
  /** walk-round checks (the service validates `due` against `every`) */
  inspections: z
    .array(z.object({ id, name: z.string().min(1), every: z.enum(['day', 'week', 'month']), due: z.string().min(1), items: z.array(z.object({ id, text: z.string().min(1) })).min(1) }))
    .optional(),
})

export type Station = z.infer<typeof stationSchema>
export type StationDevice = Station['devices'][number]
export type StationItem = Station['equipment'][number]
export type StationKey = Station['keys'][number]

export function effectiveRules(station: Station): Rules {
  return { ...DEFAULT_RULES, ...station.rules }
}

/**
 * Cross-references the schema cannot express. Returns one line per problem,
 * naming the field, so a bad file is fixable from the message alone.
 */
export function stationProblems(station: Station): string[] {
  const problems: string[] = []
  const doors = new Set(station.doors.map((d) => d.id))
  const keys = new Set(station.keys.map((k) => k.id))
  const items = new Set(station.equipment.map((e) => e.id))
  duplicates(station.doors.map((d) => d.id)).forEach((d) => problems.push(`doors: duplicate id "${d}"`))
  duplicates(station.keys.map((k) => k.id)).forEach((k) => problems.push(`keys: duplicate id "${k}"`))
  duplicates(station.equipment.map((e) => e.id)).forEach((e) => problems.push(`equipment: duplicate id "${e}"`))
  duplicates(station.devices.map((d) => d.id)).forEach((d) => problems.push(`devices: duplicate id "${d}"`))
  station.keys.forEach((k, i) => k.opens.forEach((d) => doors.has(d) || problems.push(`keys.${i}.opens: unknown door "${d}"`)))

  const itemReaders = new Map<string, string[]>()
  const keySlots = new Map<string, number>()
  station.devices.forEach((device, i) => {
    if (device.type === 'door' && !doors.has(device.door)) problems.push(`devices.${i}.door: unknown door "${device.door}"`)
    if (device.type === 'keybox') {
      for (const [slot, key] of Object.entries(device.slots)) {
        if (!keys.has(key)) problems.push(`devices.${i}.slots.${slot}: unknown key "${key}"`)
        keySlots.set(key, (keySlots.get(key) ?? 0) + 1)
      }
    }
    if (device.type === 'equipment') {
      device.items.forEach((item, j) => {
        if (!items.has(item)) problems.push(`devices.${i}.items.${j}: unknown item "${item}"`)
        itemReaders.set(item, [...(itemReaders.get(item) ?? []), device.id])
      })
    }
  })
  for (const [key, n] of keySlots) if (n > 1) problems.push(`keys: "${key}" has ${n} slots`)
  for (const [item, readers] of itemReaders) if (readers.length > 1) problems.push(`equipment: "${item}" is read by ${readers.join(', ')}`)
  return problems
}

/**
 * What the simulator needs to stand in for a whole station: every door, key and
 * item read by exactly one device. A station missing some is still valid for the
 * service, but the simulator could not model it faithfully.
 */
export function coverageProblems(station: Station): string[] {
  const problems: string[] = []
  const doorDevices = new Set(station.devices.flatMap((d) => (d.type === 'door' ? [d.door] : [])))
  const slotted = new Set(station.devices.flatMap((d) => (d.type === 'keybox' ? Object.values(d.slots) : [])))
  const read = station.devices.flatMap((d) => (d.type === 'equipment' ? d.items : []))
  for (const door of station.doors) if (!doorDevices.has(door.id)) problems.push(`door "${door.id}" has no door device`)
  for (const key of station.keys) if (!slotted.has(key.id)) problems.push(`key "${key.id}" has no keybox slot`)
  for (const item of station.equipment) {
    const n = read.filter((r) => r === item.id).length
    if (n !== 1) problems.push(`item "${item.id}" is read by ${n} devices (must be exactly 1)`)
  }
  return problems
}

/** Parses and cross-checks one station object; throws one error listing every problem. */
export function parseStation(value: unknown, where: string): Station {
  const r = stationSchema.safeParse(value)
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new Error(`${where}: ${lines.join('; ')}`)
  }
  const problems = stationProblems(r.data)
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`)
  return r.data
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const v of values) (seen.has(v) ? dup : seen).add(v)
  return [...dup]
}
