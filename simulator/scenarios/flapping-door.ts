import { scaledRules, type Scenario } from '../scenario.ts'

export const flappingDoor: Scenario = {
  name: 'flapping-door',
  summary: 'An unlatched door bangs in the wind at night: 30 opens in a few minutes, no key out.',
  description: [
    'Three hours in (night, every key in the box) the first door contact chatters: 30 open/close pairs,',
    'each open 1-4 s, closed 2-8 s, ending closed. Every opening is a forced one, but at most one alert',
    'may be unresolved per rule and subject: exactly one door-forced, critical, active. No opening lasts',
    'long enough for door-open-too-long.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const door = p.station.doors[0]
    if (!door) return p.finish(p.minutes(1))
    let t = p.hours(3)
    for (let i = 0; i < 30; i++) {
      p.openDoor(t, door.id)
      t += p.within('doorOpenMaxSeconds', p.seconds(p.rng.int(1, 4)))
      p.closeDoor(t, door.id)
      t += p.seconds(p.rng.int(2, 8))
    }
    p.expect({ rule: 'door-forced', subject: `door:${door.id}`, severity: 'critical', state: 'active', why: '30 openings with no key out: one alert, not 30' })
    p.finish(t + p.atLeastReal(p.minutes(5), 3))
  },
}
