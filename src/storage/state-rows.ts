import type { Batch, Movement } from '../ledger/ledger.ts'
import type { Delivery } from '../notify/ports.ts'

// The ledger's and the notification log's rows have the same columns in SQLite and PostgreSQL,
// so both state stores read them back through these (adapters may not import each other).

export interface BatchRow { id: string; item: string; quantity: number; produced_on: string | null; expires_on: string | null; spec: string | null; supplier: string | null; received_at: number }
export interface MovementRow { id: string; t: number; kind: Movement['kind']; item: string; batch: string | null; quantity: number; user_name: string; note: string | null; reason: string | null; expected: number | null; counted: number | null; delta: number | null }
export interface DeliveryRow { alert_id: string; at: number; step: number; firing: number; channel: string; recipient: string | null; status: Delivery['status']; error: string | null }

export function toBatch(r: BatchRow): Batch {
  return {
    id: r.id,
    itemId: r.item,
    quantity: r.quantity,
    ...(r.produced_on !== null ? { producedOn: r.produced_on } : {}),
    ...(r.expires_on !== null ? { expiresOn: r.expires_on } : {}),
    ...(r.spec !== null ? { spec: r.spec } : {}),
    ...(r.supplier !== null ? { supplier: r.supplier } : {}),
    receivedAt: r.received_at,
  }
}

export function toMovement(r: MovementRow): Movement {
  return {
    id: r.id,
    t: r.t,
    kind: r.kind,
    itemId: r.item,
    ...(r.batch !== null ? { batchId: r.batch } : {}),
    quantity: r.quantity,
    by: r.user_name,
    ...(r.note !== null ? { note: r.note } : {}),
    ...(r.reason !== null ? { reason: r.reason as Movement['reason'] } : {}),
    ...(r.expected !== null ? { expected: r.expected } : {}),
    ...(r.counted !== null ? { counted: r.counted } : {}),
    ...(r.delta !== null ? { delta: r.delta } : {}),
  }
}

export function toDelivery(r: DeliveryRow): Delivery {
  return {
    alertId: r.alert_id,
    at: r.at,
    step: r.step,
    firing: r.firing,
    channel: r.channel,
    ...(r.recipient !== null ? { to: r.recipient } : {}),
    status: r.status,
    ...(r.error !== null ? { error: r.error } : {}),
  }
}
