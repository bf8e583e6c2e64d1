import { AppError } from '../domain/errors.ts'
import type { ItemConfig, StationConfig } from '../domain/station.ts'
import { localDate, type IsoDate } from './local-days.ts'

/** One delivery of one item: what is left of it, and until when it is good. */
export interface Batch {
  id: string
  itemId: string
  quantity: number
  producedOn?: IsoDate
  /** good through this local date; expired from the local midnight after it */
  expiresOn?: IsoDate
  spec?: string
  supplier?: string
  receivedAt: number
}

export type MovementKind = 'receipt' | 'issue' | 'count' | 'write-off'
export type IssueReason = 'use' | 'loan' | 'transfer'
export type WriteOffReason = 'expired' | 'damaged' | 'lost'

/** One line of the ledger's trail. Quantities are non-negative; a count's sign is in `delta`. */
export interface Movement {
  id: string
  t: number
  kind: MovementKind
  itemId: string
  batchId?: string
  quantity: number
  by: string
  note?: string
  /** issues: use | loan | transfer; write-offs: expired | damaged | lost */
  reason?: IssueReason | WriteOffReason
  /** counts: what the book held, what was counted, and the signed change this line made */
  expected?: number
  counted?: number
  delta?: number
}

/** What one operation changes: batches (whole rows, new or updated) and the movements it made. */
export interface LedgerChange<T> {
  batches: Batch[]
  movements: Movement[]
  result: T
}

export interface OpContext {
  station: StationConfig
  now: number
  by: string
  newId: () => string
}

export interface ReceiptInput { itemId: string; quantity: number; producedOn?: IsoDate; expiresOn?: IsoDate; spec?: string; supplier?: string; note?: string }
export interface IssueInput { itemId: string; quantity: number; batchId?: string; reason: IssueReason; note?: string }
export interface CountInput { counts: Record<string, number>; note?: string }
export interface WriteOffInput { batchId: string; quantity?: number; reason: WriteOffReason; note?: string }

export interface Taken { batchId: string; quantity: number; expiresOn?: IsoDate; remaining: number }
export interface CountResult { itemId: string; expected: number; counted: number; difference: number }

/** Expired once the local date is past `expiresOn` (see local-days.ts). */
export function isExpired(b: Pick<Batch, 'expiresOn'>, today: IsoDate): boolean {
  return b.expiresOn !== undefined && b.expiresOn < today
}

/** First-expiring first; batches without an expiry date last; then oldest received. */
export function byExpiry(a: Batch, b: Batch): number {
  const ea = a.expiresOn ?? '9999-12-31'
  const eb = b.expiresOn ?? '9999-12-31'
  if (ea !== eb) return ea < eb ? -1 : 1
  return a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function itemOr404(station: StationConfig, itemId: string, field: string): ItemConfig {
  const item = station.equipment.find((e) => e.id === itemId)
  if (!item) throw new AppError('NOT_FOUND', `${field}: station "${station.id}" has no item "${itemId}"`)
  return item
}

/** 入库: a new batch. A date already past is allowed (stock found expired). */
export function receive(ctx: OpContext, input: ReceiptInput): LedgerChange<Batch> {
  itemOr404(ctx.station, input.itemId, 'body.itemId')
  if (input.producedOn && input.expiresOn && input.producedOn > input.expiresOn) throw new AppError('BAD_REQUEST', 'body.expiresOn: must not be before producedOn')
  const batch: Batch = { id: ctx.newId(), itemId: input.itemId, quantity: input.quantity, receivedAt: ctx.now }
  if (input.producedOn) batch.producedOn = input.producedOn
  if (input.expiresOn) batch.expiresOn = input.expiresOn
  if (input.spec) batch.spec = input.spec
  if (input.supplier) batch.supplier = input.supplier
  const movement = move(ctx, 'receipt', input.itemId, batch.id, input.quantity, input.note)
  return { batches: [batch], movements: [movement], result: batch }
}

/**
 * 出库: from the named batch, or from the usable batches first-expiring first. Expired stock is
 * never issued (it is written off); asking for more than is usable is a 409 and changes nothing.
 */
export function issue(ctx: OpContext, held: readonly Batch[], input: IssueInput): LedgerChange<Taken[]> {
  itemOr404(ctx.station, input.itemId, 'body.itemId')
  const today = localDate(ctx.now, ctx.station.timezone)
  let sources: Batch[]
  if (input.batchId !== undefined) {
    const b = batchOr404(held, input.batchId)
    if (b.itemId !== input.itemId) throw new AppError('BAD_REQUEST', `body.batchId: batch "${b.id}" holds "${b.itemId}", not "${input.itemId}"`)
    if (isExpired(b, today)) throw new AppError('CONFLICT', `batch "${b.id}" expired on ${b.expiresOn}: write it off instead of issuing it`)
    sources = [b]
  } else {
    sources = held.filter((b) => b.itemId === input.itemId && b.quantity > 0 && !isExpired(b, today)).sort(byExpiry)
  }
  const available = sources.reduce((n, b) => n + b.quantity, 0)
  if (input.quantity > available) {
    const where = input.batchId !== undefined ? `batch "${input.batchId}"` : `"${input.itemId}"`
    throw new AppError('CONFLICT', `cannot issue ${input.quantity} of ${where}: only ${available} usable in stock`)
  }
  let left = input.quantity
  const batches: Batch[] = []
  const movements: Movement[] = []
  const taken: Taken[] = []
  for (const b of sources) {
    if (left === 0) break
    const n = Math.min(left, b.quantity)
    if (n === 0) continue
    left -= n
    const after = { ...b, quantity: b.quantity - n }
    batches.push(after)
    movements.push({ ...move(ctx, 'issue', b.itemId, b.id, n, input.note), reason: input.reason })
    taken.push({ batchId: b.id, quantity: n, ...(b.expiresOn ? { expiresOn: b.expiresOn } : {}), remaining: after.quantity })
  }
  return { batches, movements, result: taken }
}

/**
 * 盘点: each counted item's difference from the book becomes adjustments. A shortage comes off the
 * batches first-expiring first (expired ones included: they are on the shelf too); a surplus is
 * added to the newest batch (most likely the same goods), or to a new undated batch when there is none.
 * An item counted as the book says gets one line with no change, so the count is on record.
 */
export function count(ctx: OpContext, held: readonly Batch[], input: CountInput): LedgerChange<CountResult[]> {
  const batches: Batch[] = []
  const movements: Movement[] = []
  const result: CountResult[] = []
  for (const [itemId, counted] of Object.entries(input.counts)) {
    itemOr404(ctx.station, itemId, `body.counts.${itemId}`)
    const mine = held.filter((b) => b.itemId === itemId && b.quantity > 0).sort(byExpiry)
    const expected = mine.reduce((n, b) => n + b.quantity, 0)
    const difference = counted - expected
    result.push({ itemId, expected, counted, difference })
    const line = (batchId: string | undefined, delta: number): Movement => ({ ...move(ctx, 'count', itemId, batchId, Math.abs(delta), input.note), expected, counted, delta })
    if (difference === 0) {
      movements.push(line(undefined, 0))
    } else if (difference < 0) {
      let short = -difference
      for (const b of mine) {
        if (short === 0) break
        const n = Math.min(short, b.quantity)
        short -= n
        batches.push({ ...b, quantity: b.quantity - n })
        movements.push(line(b.id, -n))
      }
    } else {
      const newest = held.filter((b) => b.itemId === itemId).sort((a, b) => b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : -1))[0]
      const target: Batch = newest ? { ...newest, quantity: newest.quantity + difference } : { id: ctx.newId(), itemId, quantity: difference, receivedAt: ctx.now }
      batches.push(target)
      movements.push(line(target.id, difference))
    }
  }
  return { batches, movements, result }
}

/** 报废: all that is left of a batch, or part of it. */
export function writeOff(ctx: OpContext, held: readonly Batch[], input: WriteOffInput): LedgerChange<{ batch: Batch; movement: Movement }> {
  const b = batchOr404(held, input.batchId)
  const n = input.quantity ?? b.quantity
  if (n === 0 || n > b.quantity) throw new AppError('CONFLICT', `cannot write off ${n} of batch "${b.id}": it holds ${b.quantity}`)
  const after = { ...b, quantity: b.quantity - n }
  const movement: Movement = { ...move(ctx, 'write-off', b.itemId, b.id, n, input.note), reason: input.reason }
  return { batches: [after], movements: [movement], result: { batch: after, movement } }
}

function batchOr404(held: readonly Batch[], id: string): Batch {
  const b = held.find((x) => x.id === id)
  if (!b) throw new AppError('NOT_FOUND', `body.batchId: no batch "${id}" at this station`)
  return b
}

function move(ctx: OpContext, kind: Movement['kind'], itemId: string, batchId: string | undefined, quantity: number, note: string | undefined): Movement {
  return { id: ctx.newId(), t: ctx.now, kind, itemId, ...(batchId !== undefined ? { batchId } : {}), quantity, by: ctx.by, ...(note ? { note } : {}) }
}
