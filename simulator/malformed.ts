import type { DeviceType } from './device.ts'

/**
 * Every way bad firmware can get a state message wrong that contract §3 names,
 * with what the service must do about it. Each one, if the service wrongly took
 * it, would change the live state towards an alert (a door "open" with no key
 * out, a key gone, an item gone), so a service that lets one through is caught.
 */
export const MALFORMED = {
  'not-json': { device: 'door', outcome: 'rejected' },
  'not-an-object': { device: 'door', outcome: 'rejected' },
  'too-large': { device: 'door', outcome: 'rejected' },
  'missing-ts': { device: 'door', outcome: 'rejected' },
  'missing-seq': { device: 'door', outcome: 'rejected' },
  'ts-not-a-number': { device: 'door', outcome: 'rejected' },
  'seq-not-a-number': { device: 'door', outcome: 'rejected' },
  'reading-wrong-type': { device: 'door', outcome: 'rejected' },
  'unknown-slot': { device: 'keybox', outcome: 'rejected' },
  'unknown-item': { device: 'equipment', outcome: 'rejected' },
  'item-of-another-device': { device: 'equipment', outcome: 'rejected' },
  'count-as-boolean': { device: 'equipment', outcome: 'rejected' },
  'presence-as-number': { device: 'equipment', outcome: 'rejected' },
  /** same seq and ts as a message already accepted: ignored */
  duplicate: { device: 'door', outcome: 'ignored' },
  /** older ts than the live state: kept as history, live state unchanged */
  'out-of-order': { device: 'door', outcome: 'history-only' },
  /** a publish to another device's topic: refused by the broker, which may close the connection */
  'foreign-topic': { device: 'door', outcome: 'refused' },
} as const satisfies Record<string, { device: DeviceType; outcome: MalformedOutcome }>

export type MalformedKind = keyof typeof MALFORMED
export type MalformedOutcome = 'rejected' | 'ignored' | 'history-only' | 'refused'
export const MALFORMED_KINDS = Object.keys(MALFORMED) as MalformedKind[]

/** The contract's size limit for a state payload. */
export const MAX_STATE_BYTES = 4096

const OUT_OF_ORDER_BY_MS = 60_000

/**
 * Renders a malformed message. `fields` is the reading part chosen at plan time;
 * `next` hands out the device's next header; `lastGood` is its last well-formed one.
 */
export function renderMalformed(
  kind: MalformedKind,
  fields: Record<string, unknown>,
  next: () => { ts: number; seq: number },
  lastGood: { ts: number; seq: number } | undefined,
): string {
  switch (kind) {
    case 'not-json': {
      const text = JSON.stringify({ ...next(), ...fields })
      return text.slice(0, -3) // cut mid-token, as a reset during a write would
    }
    case 'not-an-object':
      return JSON.stringify([{ ...next(), ...fields }])
    case 'too-large':
      return JSON.stringify({ ...next(), ...fields, diagnostics: 'x'.repeat(MAX_STATE_BYTES) })
    case 'missing-ts':
      return JSON.stringify({ seq: next().seq, ...fields })
    case 'missing-seq':
      return JSON.stringify({ ts: next().ts, ...fields })
    case 'ts-not-a-number': {
      const h = next()
      return JSON.stringify({ ts: String(h.ts), seq: h.seq, ...fields })
    }
    case 'seq-not-a-number': {
      const h = next()
      return JSON.stringify({ ts: h.ts, seq: String(h.seq), ...fields })
    }
    case 'duplicate': {
      if (!lastGood) throw new Error('duplicate: the device has not sent a well-formed state message yet')
      return JSON.stringify({ ts: lastGood.ts, seq: lastGood.seq, ...fields })
    }
    case 'out-of-order': {
      if (!lastGood) throw new Error('out-of-order: the device has not sent a well-formed state message yet')
      return JSON.stringify({ ts: lastGood.ts - OUT_OF_ORDER_BY_MS, seq: next().seq, ...fields })
    }
    case 'reading-wrong-type':
    case 'unknown-slot':
    case 'unknown-item':
    case 'item-of-another-device':
    case 'count-as-boolean':
    case 'presence-as-number':
    case 'foreign-topic':
      return JSON.stringify({ ...next(), ...fields })
  }
}
