import { z } from 'zod'
import type { ReceiptInput } from './ledger.ts'
import { addDays, isIsoDate, localDate } from './local-days.ts'

const DAY_MS = 86_400_000
const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD')
const days = z.number().int().min(-36_500).max(36_500)

/**
 * A station's opening stock. Dates may be absolute, or relative to the first start (`expiresInDays`,
 * `producedDaysAgo`, `receivedDaysAgo`), so that a demo ledger has batches "expiring soon" whenever it
 * is first started.
 */
export const ledgerSeedSchema = z
  .object({
    station: z.string().min(1),
    batches: z.array(
      z
        .object({
          itemId: z.string().min(1),
          quantity: z.number().int().min(1),
          spec: z.string().min(1).optional(),
          supplier: z.string().min(1).optional(),
          producedOn: isoDate.optional(),
          producedDaysAgo: days.optional(),
          expiresOn: isoDate.optional(),
          expiresInDays: days.optional(),
          receivedDaysAgo: days.nonnegative().optional(),
          note: z.string().min(1).optional(),
        })
        .strict(),
    ),
  })
  .strict()

export type LedgerSeed = z.infer<typeof ledgerSeedSchema>

/** The seed's receipts as of `now` in the station's zone. */
export function seedReceipts(seed: LedgerSeed, now: number, tz: string): (ReceiptInput & { receivedAt: number })[] {
  const today = localDate(now, tz)
  return seed.batches.map((b) => {
    const producedOn = b.producedOn ?? (b.producedDaysAgo !== undefined ? addDays(today, -b.producedDaysAgo) : undefined)
    const expiresOn = b.expiresOn ?? (b.expiresInDays !== undefined ? addDays(today, b.expiresInDays) : undefined)
    return {
      itemId: b.itemId,
      quantity: b.quantity,
      receivedAt: now - (b.receivedDaysAgo ?? 0) * DAY_MS,
      ...(producedOn ? { producedOn } : {}),
      ...(expiresOn ? { expiresOn } : {}),
      ...(b.spec ? { spec: b.spec } : {}),
      ...(b.supplier ? { supplier: b.supplier } : {}),
      ...(b.note ? { note: b.note } : {}),
    }
  })
}
