import { scaledRules, type Scenario } from '../scenario.ts'

export const tamper: Scenario = {
  name: 'tamper',
  summary: "Someone prises the key box open: its status reports tamper, then the switch settles.",
  description: [
    'One hour in, the key box (or the first device if there is none) sends a status with "tamper": true;',
    'two minutes later its switch settles and statuses say false again. tamper is critical and the',
    'service does not resolve it itself, so it is still active at the end.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const device = p.devicesOf('keybox')[0] ?? p.station.devices[0]!
    const t = p.hours(1)
    p.status(t, device.id, { tamper: true })
    p.status(t + p.minutes(2), device.id, { tamper: false })
    p.expect({ rule: 'tamper', subject: `device:${device.id}`, severity: 'critical', state: 'active', why: 'a status said "tamper": true' })
    p.finish(t + p.minutes(2) + p.atLeastReal(p.minutes(5), 3))
  },
}
