import { scaledRules, type Scenario } from '../scenario.ts'

export const deviceFailure: Scenario = {
  name: 'device-failure',
  summary: 'One equipment reader loses power: its socket dies without DISCONNECT, so its will goes out.',
  description: [
    'Thirty minutes in, one equipment reader (chosen by the seed) drops off the network without a clean',
    'DISCONNECT (the socket is destroyed). The broker publishes its will, a retained {"online":false}:',
    'device-offline, warning, active until the end. Its items become stale ("cannot confirm"), which',
    'must not raise equipment-missing.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const readers = p.devicesOf('equipment')
    const victim = readers.length ? p.rng.pick(readers) : p.rng.pick(p.station.devices)
    const t = p.minutes(30)
    p.drop(t, [victim.id])
    p.expect({ rule: 'device-offline', subject: `device:${victim.id}`, severity: 'warning', state: 'active', why: 'dropped without DISCONNECT; the broker published its will' })
    // Long enough that a service wrongly judging its stale items would raise equipment-missing.
    p.finish(t + Math.max(p.beyond('equipmentMissingSeconds'), p.minutes(10)))
  },
}
