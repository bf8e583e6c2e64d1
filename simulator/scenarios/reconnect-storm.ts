import { scaledRules, type Scenario } from '../scenario.ts'

export const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  summary: "The station's network drops: every device loses its socket at once, then all reconnect at once.",
  description: [
    'Twenty minutes in, every device of the station drops without DISCONNECT (the uplink fails): the',
    'broker publishes every will. A minute later (at least half a second of real time) all reconnect',
    'together and each reports status and state. Expected: device-offline for every device, each',
    'resolved by the service when the device was heard again. With --stations N this is a storm of',
    'every simulated device at the same moment.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const all = p.station.devices.map((d) => d.id)
    const t = p.minutes(20)
    p.drop(t, all)
    const back = t + p.atLeastReal(p.minutes(1), 0.5)
    p.rejoin(back, all)
    for (const id of all) {
      p.expect({ rule: 'device-offline', subject: `device:${id}`, severity: 'warning', state: 'resolved', why: 'will published on the drop; heard again after reconnecting' })
    }
    p.finish(back + p.atLeastReal(p.minutes(5), 3))
  },
}
