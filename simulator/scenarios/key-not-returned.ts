import { scaledRules, type Scenario } from '../scenario.ts'
import { keyFor, staffBadge } from './people.ts'

export const keyNotReturned: Scenario = {
  name: 'key-not-returned',
  summary: 'A community staff member takes the hall key, uses the door normally, and keeps the key.',
  description: [
    'Twenty minutes in, the community office takes its key to the first door, opens it, closes it a few',
    'minutes later (so no door alert) and never puts the key back. Once the key has been out longer',
    'than keyOverdueSeconds: key-overdue, warning, active.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const door = p.station.doors[0]
    const key = door ? keyFor(p, door.id, 'community') : undefined
    if (!door || !key) return p.finish(p.minutes(1))
    const user = staffBadge(p, key.holder)
    const taken = p.minutes(20)
    p.takeKey(taken, key.id, user)
    p.openDoor(taken + p.minutes(2), door.id)
    p.closeDoor(taken + p.minutes(2) + p.within('doorOpenMaxSeconds', p.minutes(4)), door.id)
    p.expect({ rule: 'key-overdue', subject: `key:${key.id}`, severity: 'warning', state: 'active', why: `taken by ${user} and never returned` })
    p.finish(taken + Math.max(p.beyond('keyOverdueSeconds'), p.minutes(10)))
  },
}
