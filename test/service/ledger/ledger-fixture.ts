import type { Rules } from '../../../src/domain/station.ts'
import { fixtureStation, type FixtureStation } from '../../helpers/station-fixture.ts'
import type { TestService } from '../../helpers/service.ts'

/**
 * The fixture station (whose three items are on a shelf reader) plus three items no device
 * reports: a counted supply with its own warn days, a professional item and a counted supply
 * with the station's default.
 */
export function ledgerStation(id = 'ledgerstation', rules: Partial<Rules> = {}): FixtureStation {
  const st = fixtureStation(id, rules)
  ;(st.json.equipment as unknown[]).push(
    { id: 'bandages', name: '弹性绷带', category: 'first-aid', kind: 'supply', min: 20, code: '1010101', expiryWarnDays: 10 },
    { id: 'aed-pads', name: '除颤电极片', category: 'first-aid', kind: 'professional', code: '1010202' },
    { id: 'flashlights', name: '手电筒', category: 'lighting', kind: 'supply', min: 5 },
  )
  return st
}

export async function receipt(t: TestService, body: Record<string, unknown>, token = t.token): Promise<any> {
  const r = await t.api(`/api/stations/${t.station.id}/ledger/receipts`, { method: 'POST', body, token })
  if (r.status !== 201) throw new Error(`receipt failed: ${r.status} ${r.text}`)
  return r.body
}

export async function ledgerItem(t: TestService, itemId: string): Promise<any> {
  const r = await t.api(`/api/stations/${t.station.id}/ledger`)
  if (r.status !== 200) throw new Error(`ledger failed: ${r.status} ${r.text}`)
  return (r.body as any[]).find((i) => i.itemId === itemId)
}
