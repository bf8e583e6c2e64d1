import { expect, test } from 'vitest'
import { EngineRig } from './engine-rig.ts'

/**
 * An alert's text is built only when it opens, from the live state at that moment; these are
 * the exact texts, so a change in what a message says or when it is read shows up here.
 */
test('every rule words its alert from the state it opened on', async () => {
  const rig = await EngineRig.create(['s1'])
  rig.calm('s1')
  rig.keys('s1', { '1': null, '2': 'key-room-1' }, 'badge-7')
  rig.door('s1', true)
  rig.door('s1', true, 'door-room')
  rig.items('s1', { 'spreader-1': false, extinguisher: false, water: 3 })
  rig.status('s1', 'keybox', { online: true, battery: 15, tamper: true })
  rig.advance(121)
  rig.status('s1', 'door-room', { online: false })
  rig.advance(9000)

  const opened = rig.changes.filter((c) => c.change === 'opened').map((c) => [c.alert.rule, c.alert.subject, c.alert.severity, c.alert.message])
  expect(opened).toEqual([
    ['door-forced', 'door:equipment-room', 'critical', '器材室 opened with no key out of the key box'],
    ['stock-low', 'item:water', 'warning', '饮用水 is low: 3 left, minimum 24'],
    ['battery-low', 'device:s1-keybox', 'info', 's1-keybox battery is low: 15% (threshold 20%)'],
    ['tamper', 'device:s1-keybox', 'critical', 's1-keybox reports tampering'],
    ['door-open-too-long', 'door:equipment-room', 'warning', '器材室 has been open for more than 60 s; no key was out when it opened'],
    ['door-open-too-long', 'door:main', 'warning', '正门 has been open for more than 60 s; keys out: key-main-1 (taken by badge-7)'],
    ['equipment-missing', 'item:spreader-1', 'critical', '液压破拆工具 has been missing for more than 90 s'],
    ['equipment-missing', 'item:extinguisher', 'warning', '灭火器 has been missing for more than 90 s'],
    ['key-overdue', 'key:key-main-1', 'warning', '正门钥匙（物业） has been out for more than 2 min (taken by badge-7)'],
    // last heard, not when it went offline (08:02:01)
    ['device-offline', 'device:s1-door-room', 'warning', 's1-door-room is offline (last heard 2026-11-26T08:00:00.000Z)'],
    ['device-offline', 'device:s1-shelf', 'warning', 's1-shelf has not been heard for 2.5 h'],
    ['device-offline', 'device:s1-keybox', 'warning', 's1-keybox has not been heard for 2.5 h'],
    ['device-offline', 'device:s1-door-main', 'warning', 's1-door-main has not been heard for 2.5 h'],
  ])
})

test('a key out with nobody named, and a door open with keys out of the box nobody signed for', async () => {
  const rig = await EngineRig.create(['s1'])
  rig.calm('s1')
  rig.keys('s1', { '1': null, '2': null })
  rig.door('s1', true)
  rig.advance(121)
  const messages = rig.changes.filter((c) => c.change === 'opened').map((c) => c.alert.message)
  expect(messages).toEqual(['正门 has been open for more than 60 s; keys out: key-main-1', '器材室钥匙（社区） has been out for more than 2 min', '正门钥匙（物业） has been out for more than 2 min'])
})
