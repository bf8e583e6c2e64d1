import { scaledRules, type Scenario } from '../scenario.ts'

export const forcedEntry: Scenario = {
  name: 'forced-entry',
  summary: 'At night the equipment-room door opens while every key is in the box.',
  description: [
    'Two hours in (night), with every key in the key box, the last door (the equipment room) opens,',
    'stays open a few minutes (under doorOpenMaxSeconds) and closes. Nobody took a key that opens it:',
    'door-forced, critical, which the service does not resolve by itself.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const door = p.station.doors[p.station.doors.length - 1]
    if (!door) return p.finish(p.minutes(1))
    const t = p.hours(2)
    p.openDoor(t, door.id)
    const closed = t + p.within('doorOpenMaxSeconds', p.minutes(3))
    p.closeDoor(closed, door.id)
    p.expect({ rule: 'door-forced', subject: `door:${door.id}`, severity: 'critical', state: 'active', why: 'opened with every key that opens it in the box' })
    p.finish(closed + p.atLeastReal(p.minutes(5), 3))
  },
}
