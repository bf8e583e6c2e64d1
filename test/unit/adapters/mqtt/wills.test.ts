import type { Client } from 'aedes'
import pino from 'pino'
import { expect, test } from 'vitest'
import { DeviceSessions } from '../../../../src/adapters/mqtt/device-sessions.ts'
import { Wills } from '../../../../src/adapters/mqtt/wills.ts'

/** Only what the will check reads of an aedes client. */
const connection = (id: string) => ({ id, closed: false }) as unknown as Client & { closed: boolean }

test("an old session's will is ignored once the device reconnected; the last session's will is the device's word", () => {
  const sessions = new DeviceSessions()
  const wills = new Wills(sessions, pino({ level: 'silent' }))
  const old = connection('d1')
  const fresh = connection('d1')
  sessions.authenticated(old, 'd1')
  sessions.authenticated(fresh, 'd1')
  old.closed = true
  expect(wills.refusal(old, 'd1')?.message).toBe('superseded will')
  // The old one closing does not end the device's session; the newest one closing does.
  expect(sessions.closed(old)).toBeUndefined()
  fresh.closed = true
  expect(wills.refusal(fresh, 'd1')).toBeUndefined()
  expect(sessions.closed(fresh)).toBe('d1')
  expect(sessions.newestOf('d1')).toBeUndefined()
})

test('while the broker shuts down, no will is taken', () => {
  const sessions = new DeviceSessions()
  const wills = new Wills(sessions, pino({ level: 'silent' }))
  const c = connection('d2')
  sessions.authenticated(c, 'd2')
  c.closed = true
  expect(wills.refusal(c, 'd2')).toBeUndefined()
  wills.brokerClosing()
  expect(wills.refusal(c, 'd2')?.message).toBe('broker shutting down')
})
