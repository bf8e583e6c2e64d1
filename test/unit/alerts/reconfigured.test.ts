import { expect, test } from 'vitest'
import { EngineRig } from './engine-rig.ts'

const configOf = (rig: EngineRig, station: string) => rig.fleet.stations.get(station)!.model.config

test('a station reconfigured while running: alerts on what it no longer names resolve, the rest are judged under the new rules', () => {
  const rig = new EngineRig(['s1'])
  rig.calm('s1')
  rig.status('s1', 'shelf', { online: true, battery: 5 })
  rig.door('s1', true, 'door-room')
  const open = () => rig.engine.openAlerts().map((a) => `${a.rule} ${a.subject}`).sort()
  expect(open()).toContain('battery-low device:s1-shelf')
  expect(open()).not.toContain('door-open-too-long door:equipment-room')

  // the shelf leaves the station, and a door may now stay open only 10 s
  const cfg = configOf(rig, 's1')
  const { state } = rig.fleet.configure({ ...cfg, devices: cfg.devices.filter((d) => d.id !== 's1-shelf'), rules: { ...cfg.rules, doorOpenMaxSeconds: 10 } })
  rig.engine.reconfigured(state)
  const resolved = rig.changes.filter((c) => c.change === 'resolved')
  expect(resolved.map((c) => `${c.alert.rule} ${c.alert.subject} ${c.by}`)).toEqual(['battery-low device:s1-shelf system'])
  expect(open()).not.toContain('battery-low device:s1-shelf')

  // the new limit is armed at once: its deadline fires on the engine's own timer
  rig.advance(9)
  expect(open()).not.toContain('door-open-too-long door:equipment-room')
  rig.advance(2)
  expect(open()).toContain('door-open-too-long door:equipment-room')
})
