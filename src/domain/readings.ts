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
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'payload must be a JSON object' }
  return { ok: true, value: value as Record<string, unknown> }
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
  knownKeys: ReadonlySet<string>,
): ParseResult<StateReading> {
  switch (device.type) {
    case 'door': {
      const r = doorStateSchema.safeParse(body)
      return r.success ? { ok: true, value: { type: 'door', ...r.data } } : { ok: false, reason: describeIssue(r.error) }
    }
    case 'keybox': {
      const r = keyboxStateSchema.safeParse(body)
      if (!r.success) return { ok: false, reason: describeIssue(r.error) }
      for (const [slot, key] of Object.entries(r.data.slots)) {
        if (!(slot in device.slots)) return { ok: false, reason: `slots.${slot}: unknown slot for device ${device.id}` }
        if (key !== null && !knownKeys.has(key)) return { ok: false, reason: `slots.${slot}: unknown key "${key}"` }
      }
      return { ok: true, value: { type: 'keybox', ...r.data } }
    }
    case 'equipment': {
      const r = equipmentStateSchema.safeParse(body)
      if (!r.success) return { ok: false, reason: describeIssue(r.error) }
      for (const [id, v] of Object.entries(r.data.items)) {
        const item = itemsById.get(id)
        if (!item || !device.items.includes(id)) return { ok: false, reason: `items.${id}: unknown item for device ${device.id}` }
        const counted = item.min !== undefined
        if (counted && typeof v !== 'number') return { ok: false, reason: `items.${id}: expected a count (non-negative integer)` }
        if (!counted && typeof v !== 'boolean') return { ok: false, reason: `items.${id}: expected presence (boolean)` }
      }
      return { ok: true, value: { type: 'equipment', ...r.data } }
    }
  }
}

export function parseStatus(body: Record<string, unknown>): ParseResult<DeviceStatus> {
  const r = statusSchema.safeParse(body)
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: describeIssue(r.error) }
}
