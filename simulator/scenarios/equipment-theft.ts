import { missingSeverity, scaledRules, type Scenario } from '../scenario.ts'
import type { StationItem } from '../station.ts'
import { momentsBetween, visit } from './visit.ts'

export const equipmentTheft: Scenario = {
  name: 'equipment-theft',
  summary: 'Someone with a key walks off with a professional item and an uncounted supply; no incident.',
  description: [
    'Half an hour in, a property-company key holder opens the hall, takes one professional item, closes',
    'the door and returns the key, all within the thresholds. An hour later the same happens in the',
    'equipment room with one uncounted supply. Nothing comes back and no incident is open, so after',
    'equipmentMissingSeconds: equipment-missing for both, critical for the professional item and',
    'warning for the supply.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const stolen: StationItem[] = []
    const pro = p.professionalItems().filter((i) => i.min === undefined)
    const supply = p.presenceSupplies()
    let t = p.minutes(30)
    for (const pool of [pro, supply]) {
      if (pool.length === 0) continue
      const item = p.rng.pick(pool)
      const end = visit(p, {
        door: p.doorFor(item),
        holder: 'property',
        at: t,
        walk: p.minutes(2),
        openFor: p.minutes(4),
        returnAfter: p.minutes(3),
        inside: (from, to) => p.setItems(momentsBetween(from, to, 1)[0]!, { [item.id]: false }),
      })
      if (end === undefined) continue
      stolen.push(item)
      t = end + p.hours(1)
    }
    for (const item of stolen) {
      p.expect({ rule: 'equipment-missing', subject: `item:${item.id}`, severity: missingSeverity(item), state: 'active', why: 'taken and not returned, no incident open' })
    }
    p.finish(p.now + p.beyond('equipmentMissingSeconds'))
  },
}
