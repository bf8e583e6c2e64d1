import { scaledRules, type Scenario } from '../scenario.ts'

export const batteryDrain: Scenario = {
  name: 'battery-drain',
  summary: "A door contact's battery runs down past batteryLowPercent.",
  description: [
    'From ten minutes in, one battery-powered device (a door contact when there is one) reports its',
    'battery every 30 minutes, two points lower each time, from 12 above batteryLowPercent to 8 below',
    'it (its heartbeats carry the same value). Once below: battery-low, info, active (it would resolve',
    'only 5 points above the threshold).',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const device = p.devicesOf('door')[0] ?? p.devicesOf('equipment')[0]
    if (!device) return p.finish(p.minutes(1))
    const low = p.rules.batteryLowPercent
    let t = p.minutes(10)
    for (let battery = Math.min(100, low + 12); battery >= Math.max(0, low - 8); battery -= 2) {
      p.status(t, device.id, { battery })
      t += p.minutes(30)
    }
    p.expect({ rule: 'battery-low', subject: `device:${device.id}`, severity: 'info', state: 'active', why: `battery fell to ${Math.max(0, low - 8)}%` })
    p.finish(t + p.atLeastReal(p.minutes(5), 3))
  },
}
