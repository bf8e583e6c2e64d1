import { expect, test } from 'vitest'
import { clusterOf, ConfigError, parseEnv } from '../../../src/config/env.ts'

test('unset: no cluster mode, and an instance id from the host name and pid', () => {
  const env = parseEnv({})
  expect(clusterOf(env)).toBeUndefined()
  expect(env.INSTANCE_ID).toMatch(new RegExp(`-${process.pid}$`))
})

test('NATS_URL and DATABASE_URL set: cluster mode with every server listed', () => {
  const env = parseEnv({ NATS_URL: 'nats://n1:4222, nats://n2:4222,nats://n3:4222', DATABASE_URL: 'postgres://sw:pw@db:5432/sw', INSTANCE_ID: 'sw-1' })
  expect(clusterOf(env)).toEqual({ natsServers: ['nats://n1:4222', 'nats://n2:4222', 'nats://n3:4222'], databaseUrl: 'postgres://sw:pw@db:5432/sw', instance: 'sw-1' })
})

test.each([
  [{ NATS_URL: 'http://n1:4222', DATABASE_URL: 'postgres://db/sw' }, 'NATS_URL'],
  [{ NATS_URL: 'nats://n1:4222', DATABASE_URL: 'mysql://db/sw' }, 'DATABASE_URL'],
  [{ NATS_URL: 'nats://n1:4222' }, 'DATABASE_URL'],
  [{ DATABASE_URL: 'postgres://db/sw' }, 'NATS_URL'],
  [{ INSTANCE_ID: '.hidden' }, 'INSTANCE_ID'],
  [{ INSTANCE_ID: 'has space' }, 'INSTANCE_ID'],
])('%o is refused, naming %s', (vars, name) => {
  expect(() => parseEnv(vars)).toThrow(ConfigError)
  expect(() => parseEnv(vars)).toThrow(new RegExp(`environment variable ${name}`))
})
