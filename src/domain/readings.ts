import { z } from 'zod'
import type { DeviceConfig, ItemConfig } from './station.ts'

/** Device payloads are small by contract; anything larger is refused before JSON.parse. */
export const MAX_PAYLOAD_BYTES = 4096

const header = {
  /** device clock, ms since the epoch */
  ts: z.number().int().nonnegative(),
  /** increases per device; may restart at 0 after a reboot */
  seq: z.number().int().nonnegative(),
}

// Unknown extra fields are ignored (contract §3), so these schemas are not strict.
export const doorStateSchema = z.object({ ...header, open: z.boolean() /* true = door open */ })
export const keyboxStateSchema = z.object({
  ...header,
  /** slot → id of the key in it, null = slot empty */
  slots: z.record(z.string(), z.string().nullable()),
  /** badge or name of whoever opened the box */
  user: z.string().max(128).optional(),
})
export const equipmentStateSchema = z.object({
  ...header,
  /** boolean = present (true) / absent; integer = count on the shelf */
  items: z.record(z.string(), z.union([z.boolean(), z.number().int().nonnegative()])),
})
export const statusSchema = z.object({
  /** true = the device is connected and reporting */
  online: z.boolean(),
  battery: z.number().min(0).max(100).optional(),
  rssi: z.number().optional(),
  fw: z.string().max(64).optional(),
  /** true = the enclosure has been opened or the sensor tampered with */
  tamper: z.boolean().optional(),
})

export type DoorState = z.infer<typeof doorStateSchema>
export type KeyboxState = z.infer<typeof keyboxStateSchema>
export type EquipmentState = z.infer<typeof equipmentStateSchema>
export type DeviceStatus = z.infer<typeof statusSchema>

export type StateReading =
  | ({ type: 'door' } & DoorState)
  | ({ type: 'keybox' } & KeyboxState)
  | ({ type: 'equipment' } & EquipmentState)

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string }

/** "items.water: expected integer" — the reason names the field, for /api/rejects and logs. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid payload'
  const path = issue.path.map(String).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

export function parseJsonObject(payload: Uint8Array): ParseResult<Record<string, unknown>> {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload too large: ${payload.byteLength} bytes (limit ${MAX_PAYLOAD_BYTES})` }
  let value: unknown
  try {
    value = JSON.parse(utf8(payload))
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'payload must be a JSON object' }
  return { ok: true, value: value as Record<string, unknown> }
}

// The broker hands over Buffers: decoding one directly saves wrapping it in another.
function utf8(payload: Uint8Array): string {
  return Buffer.isBuffer(payload) ? payload.toString('utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')
}

/**
 * Validates a state payload against the device's own coverage: a keybox may only
 * name its slots (and known keys), an equipment reader only its items, with the
 * value type the item is tracked by (count when it has `min`, presence otherwise).
 */
export function parseStateReading(
  device: DeviceConfig,
  body: Record<string, unknown>,
  itemsById: ReadonlyMap<string, ItemConfig>,
  knownKeys: { has(key: string): boolean },
): ParseResult<StateReading> {
  switch (device.type) {
    case 'door': {
      const value = fastDoor(body)
      if (value) return { ok: true, value }
      const r = doorStateSchema.safeParse(body)
      return r.success ? { ok: true, value: { type: 'door', ...r.data } } : { ok: false, reason: describeIssue(r.error) }
    }
    case 'keybox': {
      // JSON.parse keeps a "__proto__" key that zod's record then drops: refuse it, never ignore it.
      if (hasProtoKey(body.slots)) return { ok: false, reason: `slots.__proto__: unknown slot for device ${device.id}` }
      let value = fastKeybox(body)
      if (!value) {
        const r = keyboxStateSchema.safeParse(body)
        if (!r.success) return { ok: false, reason: describeIssue(r.error) }
        value = { type: 'keybox', ...r.data }
      }
      for (const slot in value.slots) {
        const key = value.slots[slot] as string | null
        if (!Object.hasOwn(device.slots, slot)) return { ok: false, reason: `slots.${slot}: unknown slot for device ${device.id}` }
        if (key !== null && !knownKeys.has(key)) return { ok: false, reason: `slots.${slot}: unknown key "${key}"` }
      }
      return { ok: true, value }
    }
    case 'equipment': {
      if (hasProtoKey(body.items)) return { ok: false, reason: `items.__proto__: unknown item for device ${device.id}` }
      let value = fastEquipment(body)
      if (!value) {
        const r = equipmentStateSchema.safeParse(body)
        if (!r.success) return { ok: false, reason: describeIssue(r.error) }
        value = { type: 'equipment', ...r.data }
      }
      for (const id in value.items) {
        const v = value.items[id]!
        const item = itemsById.get(id)
        if (!item || !device.items.includes(id)) return { ok: false, reason: `items.${id}: unknown item for device ${device.id}` }
        const counted = item.min !== undefined
        if (counted && typeof v !== 'number') return { ok: false, reason: `items.${id}: expected a count (non-negative integer)` }
        if (!counted && typeof v !== 'boolean') return { ok: false, reason: `items.${id}: expected presence (boolean)` }
      }
      return { ok: true, value }
    }
  }
}

export function parseStatus(body: Record<string, unknown>): ParseResult<DeviceStatus> {
  const value = fastStatus(body)
  if (value) return { ok: true, value }
  const r = statusSchema.safeParse(body)
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: describeIssue(r.error) }
}

// ---- the hot path's validators ------------------------------------------------------------
// Ingest validates every message; the schemas above cost more than the rest of validation
// together (and most of its garbage). These checks accept exactly what the schemas accept and
// build the same values (known keys only, in schema order; records without "__proto__", which
// zod drops). Anything they do not accept goes through the schema, which then names the problem,
// so rejections and their reasons are unchanged.

function hasProtoKey(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__')
}

/** z.number().int().nonnegative(): a safe integer ≥ 0 */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

/** a plain JSON object (what z.record accepts), without a "__proto__" key */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__')
}

function fastDoor(b: Record<string, unknown>): StateReading | undefined {
  const { ts, seq, open } = b
  if (!isCount(ts) || !isCount(seq) || typeof open !== 'boolean') return undefined
  return { type: 'door', ts, seq, open }
}

function fastKeybox(b: Record<string, unknown>): Extract<StateReading, { type: 'keybox' }> | undefined {
  const { ts, seq, slots, user } = b
  if (!isCount(ts) || !isCount(seq) || !isRecord(slots)) return undefined
  if (user !== undefined && (typeof user !== 'string' || user.length > 128)) return undefined
  for (const k in slots) {
    const v = slots[k]
    if (v !== null && typeof v !== 'string') return undefined
  }
  const value: Extract<StateReading, { type: 'keybox' }> = { type: 'keybox', ts, seq, slots: slots as Record<string, string | null> }
  if (user !== undefined) value.user = user
  return value
}

function fastEquipment(b: Record<string, unknown>): Extract<StateReading, { type: 'equipment' }> | undefined {
  const { ts, seq, items } = b
  if (!isCount(ts) || !isCount(seq) || !isRecord(items)) return undefined
  for (const k in items) {
    const v = items[k]
    if (typeof v !== 'boolean' && !isCount(v)) return undefined
  }
  return { type: 'equipment', ts, seq, items: items as Record<string, boolean | number> }
}

function fastStatus(b: Record<string, unknown>): DeviceStatus | undefined {
  const { online, battery, rssi, fw, tamper } = b
  if (typeof online !== 'boolean') return undefined
  if (battery !== undefined && (typeof battery !== 'number' || !Number.isFinite(battery) || battery < 0 || battery > 100)) return undefined
  if (rssi !== undefined && (typeof rssi !== 'number' || !Number.isFinite(rssi))) return undefined
  if (fw !== undefined && (typeof fw !== 'string' || fw.length > 64)) return undefined
  if (tamper !== undefined && typeof tamper !== 'boolean') return undefined
  const value: DeviceStatus = { online }
  if (battery !== undefined) value.battery = battery
  if (rssi !== undefined) value.rssi = rssi
  if (fw !== undefined) value.fw = fw
  if (tamper !== undefined) value.tamper = tamper
  return value
}
