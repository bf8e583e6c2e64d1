import { fullStock, scaledRules, type Plan, type Scenario } from '../scenario.ts'
import type { StationItem } from '../station.ts'
import { responderBadge } from './people.ts'
import { momentsBetween, visit } from './visit.ts'

const HOLDERS = ['property', 'community'] as const

/** Staff fetch a few counted supplies; never below their minimum. */
function supplyPickup(p: Plan, at: number): number | undefined {
  const supplies = p.countedItems().filter((i) => i.kind === 'supply')
  if (supplies.length === 0) return undefined
  const door = p.doorFor(supplies[0]!)
  const spare = (i: StationItem): number => (p.stockOf(i.id) as number) - i.min!
  const choices = supplies.filter((i) => p.doorFor(i) === door && spare(i) >= 1)
  const picked = p.rng.sample(choices, p.rng.int(1, 3))
  return visit(p, {
    door,
    holder: p.rng.pick(HOLDERS),
    at,
    walk: p.minutes(p.rng.int(1, 3)),
    openFor: p.minutes(p.rng.int(3, 8)),
    returnAfter: p.minutes(p.rng.int(2, 30)),
    inside: (from, to) => {
      if (picked.length === 0) return
      const values: Record<string, number> = {}
      for (const i of picked) values[i.id] = (p.stockOf(i.id) as number) - p.rng.int(1, Math.max(1, Math.floor(spare(i) / 3)))
      p.setItems(momentsBetween(from, to, 1)[0]!, values)
    },
  })
}

/** Someone looks round the hall and leaves. */
function inspection(p: Plan, at: number): number | undefined {
  const door = p.station.doors[0]
  if (!door) return undefined
  return visit(p, {
    door: door.id,
    holder: p.rng.pick(HOLDERS),
    at,
    walk: p.minutes(p.rng.int(1, 3)),
    openFor: p.minutes(p.rng.int(2, 6)),
    returnAfter: p.minutes(p.rng.int(1, 10)),
  })
}

/** A responder takes one or two uncounted items out to check them and puts them back before closing the door. */
function equipmentCheck(p: Plan, at: number): number | undefined {
  const candidates = [...p.professionalItems().filter((i) => i.min === undefined), ...p.presenceSupplies()]
  if (candidates.length === 0) return undefined
  const door = p.doorFor(p.rng.pick(candidates))
  const items = p.rng.sample(
    candidates.filter((i) => p.doorFor(i) === door),
    p.rng.int(1, 2),
  )
  return visit(p, {
    door,
    holder: 'community',
    user: responderBadge(p),
    at,
    walk: p.minutes(p.rng.int(1, 2)),
    openFor: p.minutes(p.rng.int(6, 9)),
    returnAfter: p.minutes(p.rng.int(1, 5)),
    inside: (from, to) => {
      const taken = from + (to - from) / 3
      const back = taken + Math.min((to - from) / 3, p.within('equipmentMissingSeconds', Infinity))
      p.setItems(taken, Object.fromEntries(items.map((i) => [i.id, false])))
      p.setItems(back, Object.fromEntries(items.map((i) => [i.id, true])))
    },
  })
}

/** The afternoon delivery tops every counted supply back up. */
function restock(p: Plan, at: number): number | undefined {
  const supplies = p.countedItems().filter((i) => i.kind === 'supply')
  if (supplies.length === 0) return undefined
  const door = p.doorFor(supplies[0]!)
  const low = supplies.filter((i) => p.doorFor(i) === door && p.stockOf(i.id) !== fullStock(i))
  return visit(p, {
    door,
    holder: 'property',
    at,
    walk: p.minutes(2),
    openFor: p.minutes(8),
    returnAfter: p.minutes(5),
    inside: (from, to) => {
      if (low.length) p.setItems(momentsBetween(from, to, 1)[0]!, Object.fromEntries(low.map((i) => [i.id, fullStock(i)])))
    },
  })
}

export const normalDay: Scenario = {
  name: 'normal-day',
  summary: 'An ordinary 24 h: keys out and back, doors open and shut, stock used and restocked — no alert.',
  description: [
    'Every device reports its whole reading, then for 24 hours of scenario time, every 40-150 minutes:',
    'staff take a key, open a door, fetch a few counted supplies (never below their minimum), close and',
    'return the key; or look round the hall; or a responder takes one or two items out to check them',
    'and puts them back before closing the door. After 15:00 a delivery restocks every counted supply.',
    'Every door stays open under half doorOpenMaxSeconds, every key out under half keyOverdueSeconds,',
    'every item away under half equipmentMissingSeconds, and heartbeats keep every device online:',
    'the service must raise no alert at all.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const day = p.hours(24)
    const activities = [supplyPickup, supplyPickup, inspection, equipmentCheck]
    let t = p.minutes(p.rng.int(30, 90))
    let restocked = false
    while (t < day - p.hours(1)) {
      const activity = !restocked && t > p.hours(15) ? ((restocked = true), restock) : p.rng.pick(activities)
      const end = activity(p, t) ?? t + p.minutes(10)
      t = end + p.minutes(p.rng.int(40, 150))
    }
    p.finish(Math.max(day, p.now))
  },
}
