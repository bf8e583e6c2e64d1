import type { Plan } from '../scenario.ts'
import { keyFor, staffBadge } from './people.ts'

export interface VisitOptions {
  door: string
  /** who keeps the key taken: property, community… (any key that opens the door if none of theirs is in) */
  holder?: string
  /** badge that opens the key box; default: a staff badge of the holder */
  user?: string
  at: number
  /** from taking the key to opening the door */
  walk: number
  /** how long the door stays open */
  openFor: number
  /** from closing the door to putting the key back */
  returnAfter: number
  /** false: the key is never put back */
  returnKey?: boolean
  /** adds actions while the door is open, strictly between `from` and `to` */
  inside?: (from: number, to: number) => void
}

/**
 * The everyday pattern: take a key, open the door, do something, close the door,
 * put the key back. Durations are shrunk, never stretched, so that the key stays
 * out under half of keyOverdueSeconds and the door open under half of
 * doorOpenMaxSeconds: a visit on its own never raises an alert.
 * Returns when the visit ended, or undefined when no key for the door was in the box.
 */
export function visit(p: Plan, o: VisitOptions): number | undefined {
  const key = keyFor(p, o.door, o.holder)
  if (!key) return undefined
  const user = o.user ?? staffBadge(p, key.holder)
  const natural = o.walk + o.openFor + (o.returnKey === false ? 0 : o.returnAfter)
  const squeeze = Math.min(1, p.within('keyOverdueSeconds', natural) / natural)
  const walk = o.walk * squeeze
  const openFor = p.within('doorOpenMaxSeconds', o.openFor * squeeze)
  const returnAfter = o.returnAfter * squeeze

  p.takeKey(o.at, key.id, user)
  const opened = o.at + walk
  const closed = opened + openFor
  p.openDoor(opened, o.door)
  o.inside?.(opened, closed)
  p.closeDoor(closed, o.door)
  if (o.returnKey === false) return closed
  p.returnKey(closed + returnAfter, key.id, user)
  return closed + returnAfter
}

/** `n` moments spread evenly strictly inside (from, to), for things done while a door is open. */
export function momentsBetween(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + ((to - from) * (i + 1)) / (n + 1))
}
