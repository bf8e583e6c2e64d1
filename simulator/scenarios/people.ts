import type { Plan } from '../scenario.ts'
import type { StationKey } from '../station.ts'

/**
 * Who opens the key box: a badge per person. The property company and the
 * community office each have a few staff; the response team has twelve members.
 */
export function staffBadge(p: Plan, holder: string | undefined): string {
  return `badge-${holder ?? 'staff'}-${String(p.rng.int(1, 4)).padStart(2, '0')}`
}

export function responderBadge(p: Plan): string {
  return `badge-responder-${String(p.rng.int(1, 12)).padStart(2, '0')}`
}

/** A key in the box that opens `door`, preferring one kept by `holder`. */
export function keyFor(p: Plan, door: string, holder?: string): StationKey | undefined {
  const inBox = p.keysInBox(door)
  return inBox.find((k) => k.holder === holder) ?? (inBox.length ? p.rng.pick(inBox) : undefined)
}
