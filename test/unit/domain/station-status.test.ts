import { describe, expect, test } from 'vitest'
import { stationSchema } from '../../../src/domain/station.ts'
import { StationModel } from '../../../src/domain/station-model.ts'
import { StationState } from '../../../src/domain/station-state.ts'
import { computeStatus } from '../../../src/domain/station-status.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'

// The texts below are what the status computed before its entries were built with one shape each
// (optional fields spread in): the /ws `station` message and GET /api/stations/:id must not change,
// except for `reasonCodes`, added after `reasons` (issue 13).
const json = fixtureStation('js').json as { keys: { holder?: string }[] }
delete json.keys[1]!.holder
const cfg = stationSchema.parse(json)
const T = 1_800_000_000_000

describe('station status as JSON', () => {
  test('optional fields appear only where they apply, in the same places', () => {
    const s = new StationState(new StationModel(cfg))
    s.applyStatus('js-door-main', { online: true, battery: 87, rssi: -61, fw: '1.0.3', tamper: false }, T)
    s.applyState('js-door-main', { type: 'door', ts: 1, seq: 1, open: true }, T + 1)
    s.applyState('js-keybox', { type: 'keybox', ts: 1, seq: 1, slots: { '1': null, '2': 'key-room-1' }, user: 'badge-9' }, T + 2)
    s.applyState('js-shelf', { type: 'equipment', ts: 1, seq: 1, items: { 'spreader-1': false, water: 3 } }, T + 3)
    s.applyStatus('js-shelf', { online: true, battery: 12 }, T + 4)
    const ctx = { forcedDoors: new Set(['main']), incident: { id: 'i1', station: 'js', openedAt: T, openedBy: 'resp' }, activeAlerts: 2 }
    expect(JSON.stringify({ type: 'station', station: computeStatus(s, ctx) })).toBe(
      '{"type":"station","station":{"id":"js","name":"测试站","timezone":"Asia/Shanghai","readiness":44,"level":"not-ready","reasons":["正门 was forced open","正门 is open","正门钥匙（物业） is out of the key box (taken by badge-9)","液压破拆工具 is missing","饮用水 is low: 3 of 24","js-door-room has not reported yet"],"reasonCodes":[{"code":"door-forced","door":"main","name":"正门"},{"code":"door-open","door":"main","name":"正门"},{"code":"key-taken","key":"key-main-1","name":"正门钥匙（物业）","by":"badge-9"},{"code":"item-missing","item":"spreader-1","name":"液压破拆工具"},{"code":"supply-low","item":"water","name":"饮用水","count":3,"min":24},{"code":"device-not-reported","device":"js-door-room"}],"doors":[{"id":"main","name":"正门","open":true,"since":1800000000001,"stale":false},{"id":"equipment-room","name":"器材室","open":null,"since":null,"stale":true}],"keys":[{"id":"key-main-1","name":"正门钥匙（物业）","holder":"property","opens":["main"],"present":false,"slot":null,"takenBy":"badge-9","since":1800000000002,"stale":false},{"id":"key-room-1","name":"器材室钥匙（社区）","opens":["equipment-room"],"present":true,"slot":"2","since":1800000000002,"stale":false}],"equipment":[{"id":"spreader-1","name":"液压破拆工具","category":"breaching","kind":"professional","present":false,"since":1800000000003,"stale":false},{"id":"extinguisher","name":"灭火器","category":"fire","kind":"supply","present":null,"since":null,"stale":true},{"id":"water","name":"饮用水","category":"water-food","kind":"supply","count":3,"min":24,"since":1800000000003,"stale":false}],"devices":[{"id":"js-door-main","type":"door","online":true,"battery":87,"rssi":-61,"fw":"1.0.3","tamper":false,"lastSeen":1800000000001},{"id":"js-door-room","type":"door","online":false,"lastSeen":null},{"id":"js-keybox","type":"keybox","online":true,"lastSeen":1800000000002},{"id":"js-shelf","type":"equipment","online":true,"battery":12,"lastSeen":1800000000004}],"incident":{"id":"i1","station":"js","openedAt":1800000000000,"openedBy":"resp"},"activeAlerts":2}}',
    )

    // a key taken and returned shows no taker; a key box gone offline makes its keys stale
    s.applyState('js-keybox', { type: 'keybox', ts: 2, seq: 2, slots: { '2': null }, user: 'badge-3' }, T + 5)
    s.applyState('js-keybox', { type: 'keybox', ts: 3, seq: 3, slots: { '2': 'key-room-1' } }, T + 6)
    s.applyStatus('js-keybox', { online: false }, T + 7)
    expect(JSON.stringify(computeStatus(s, { forcedDoors: new Set(), incident: null, activeAlerts: 0 }))).toBe(
      '{"id":"js","name":"测试站","timezone":"Asia/Shanghai","readiness":28,"level":"not-ready","reasons":["正门 is open","液压破拆工具 is missing","饮用水 is low: 3 of 24","js-door-room has not reported yet","js-keybox is offline"],"reasonCodes":[{"code":"door-open","door":"main","name":"正门"},{"code":"item-missing","item":"spreader-1","name":"液压破拆工具"},{"code":"supply-low","item":"water","name":"饮用水","count":3,"min":24},{"code":"device-not-reported","device":"js-door-room"},{"code":"device-offline","device":"js-keybox"}],"doors":[{"id":"main","name":"正门","open":true,"since":1800000000001,"stale":false},{"id":"equipment-room","name":"器材室","open":null,"since":null,"stale":true}],"keys":[{"id":"key-main-1","name":"正门钥匙（物业）","holder":"property","opens":["main"],"present":false,"slot":null,"takenBy":"badge-9","since":1800000000002,"stale":true},{"id":"key-room-1","name":"器材室钥匙（社区）","opens":["equipment-room"],"present":true,"slot":"2","since":1800000000006,"stale":true}],"equipment":[{"id":"spreader-1","name":"液压破拆工具","category":"breaching","kind":"professional","present":false,"since":1800000000003,"stale":false},{"id":"extinguisher","name":"灭火器","category":"fire","kind":"supply","present":null,"since":null,"stale":true},{"id":"water","name":"饮用水","category":"water-food","kind":"supply","count":3,"min":24,"since":1800000000003,"stale":false}],"devices":[{"id":"js-door-main","type":"door","online":true,"battery":87,"rssi":-61,"fw":"1.0.3","tamper":false,"lastSeen":1800000000001},{"id":"js-door-room","type":"door","online":false,"lastSeen":null},{"id":"js-keybox","type":"keybox","online":false,"lastSeen":1800000000006},{"id":"js-shelf","type":"equipment","online":true,"battery":12,"lastSeen":1800000000004}],"incident":null,"activeAlerts":0}',
    )
  })
})
