import { expect, test } from 'vitest'
import { RuleSlots } from '../../../src/alerts/rule-slots.ts'
import { StationModel } from '../../../src/domain/station-model.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { ledgerStation } from '../../service/ledger/ledger-fixture.ts'

const model = new StationModel(stationSchema.parse(fixtureStation('s1').json))

test("a subject's rules and keys are built once and served for every later reading", () => {
  const slots = new RuleSlots()
  const door = 'door'
  const first = slots.of(model, `${door}:main`)
  expect(first.map((s) => [s.rule.name, s.id, s.subject, s.key])).toEqual([
    ['door-forced', 'main', 'door:main', 's1|door-forced|door:main'],
    ['door-open-too-long', 'main', 'door:main', 's1|door-open-too-long|door:main'],
  ])
  // A reading's subject is a new string each time; the slots are the same objects.
  expect(slots.of(model, `door:${'main'}`)).toBe(first)
  expect(slots.of(model, 'item:water').map((s) => s.rule.name)).toEqual(['equipment-missing', 'stock-low'])
  expect(slots.of(model, 'key:key-main-1').map((s) => s.key)).toEqual(['s1|key-overdue|key:key-main-1'])
  expect(slots.of(model, 'device:s1-shelf').map((s) => s.rule.name)).toEqual(['device-offline', 'battery-low', 'tamper'])
})

test('stations do not share slots, and subjects the configuration does not name are not kept', () => {
  const slots = new RuleSlots()
  const other = new StationModel(stationSchema.parse(fixtureStation('s2').json))
  expect(slots.of(other, 'door:main')[0]!.key).toBe('s2|door-forced|door:main')
  expect(slots.of(model, 'door:main')[0]!.key).toBe('s1|door-forced|door:main')
  const unknown = slots.of(model, 'door:nowhere')
  expect(unknown.map((s) => s.key)).toEqual(['s1|door-forced|door:nowhere', 's1|door-open-too-long|door:nowhere'])
  expect(slots.of(model, 'door:nowhere')).not.toBe(unknown)
})

test("items no device reports get no item rules: their stock-low is the ledger's", () => {
  const slots = new RuleSlots()
  const withLedger = new StationModel(stationSchema.parse(ledgerStation('s3').json))
  expect(slots.of(withLedger, 'item:bandages')).toEqual([])
  expect(slots.of(withLedger, 'item:aed-pads')).toEqual([])
  expect(slots.of(withLedger, 'item:water').map((s) => s.rule.name)).toEqual(['equipment-missing', 'stock-low'])
})
