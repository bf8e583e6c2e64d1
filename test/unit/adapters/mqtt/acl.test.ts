import { expect, test } from 'vitest'
import { mayReceive, maySubscribe, ownPublishTopic } from '../../../../src/adapters/mqtt/acl.ts'
import { Fleet } from '../../../../src/domain/fleet.ts'
import { stationSchema } from '../../../../src/domain/station.ts'
import { fixtureStation } from '../../../helpers/station-fixture.ts'

const fleet = new Fleet(['a', 'b'].map((id) => stationSchema.parse(fixtureStation(id).json)))

test('a device publishes only to its own state and status topics', () => {
  expect(ownPublishTopic(fleet, 'a-keybox', 'stations/a/devices/a-keybox/state')).toEqual({ kind: 'state' })
  expect(ownPublishTopic(fleet, 'a-keybox', 'stations/a/devices/a-keybox/status')).toEqual({ kind: 'status' })
  expect(ownPublishTopic(fleet, 'a-keybox', 'stations/a/devices/a-keybox/cmd')).toBeUndefined()
  expect(ownPublishTopic(fleet, 'a-keybox', 'stations/a/devices/a-shelf/state')).toBeUndefined()
  expect(ownPublishTopic(fleet, 'a-keybox', 'stations/b/devices/a-keybox/state')).toBeUndefined()
  expect(ownPublishTopic(fleet, 'a-keybox', 'stations/a/devices/a-keybox/state/extra')).toBeUndefined()
  expect(ownPublishTopic(fleet, 'a-keybox', '$SYS/whatever')).toBeUndefined()
})

test('a device subscribes only to its own cmd topic, and receives only what is sent there', () => {
  expect(maySubscribe(fleet, 'a-keybox', 'stations/a/devices/a-keybox/cmd')).toBe(true)
  expect(maySubscribe(fleet, 'a-keybox', 'stations/a/devices/a-keybox/#')).toBe(false)
  expect(maySubscribe(fleet, 'a-keybox', 'stations/a/devices/a-shelf/cmd')).toBe(false)
  expect(maySubscribe(fleet, undefined, 'stations/a/devices/a-keybox/cmd')).toBe(false)
  expect(maySubscribe(fleet, 'nobody', 'stations/a/devices/nobody/cmd')).toBe(false)
  expect(mayReceive('a-keybox', 'stations/a/devices/a-keybox/cmd')).toBe(true)
  expect(mayReceive('a-keybox', 'stations/a/devices/a-shelf/cmd')).toBe(false)
  expect(mayReceive('a-keybox', 'stations/a/devices/a-keybox/state')).toBe(false)
  expect(mayReceive(undefined, 'stations/a/devices/a-keybox/cmd')).toBe(false)
})
