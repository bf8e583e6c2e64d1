import { rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { afterEach, beforeEach, expect, test } from 'vitest'
import WebSocket from 'ws'
import { EmbeddedStateStore } from '../../../../src/adapters/embedded/state-store.ts'
import { LivePush } from '../../../../src/adapters/ws/live-push.ts'
import { Accounts } from '../../../../src/auth/accounts.ts'
import { DisplayTokens } from '../../../../src/auth/display-tokens.ts'
import { Principals } from '../../../../src/auth/principals.ts'
import { slowed } from '../../../helpers/slow-store.ts'
import { tempDir } from '../../../helpers/station-fixture.ts'

/**
 * The /ws upgrade looks the session up in the state store, which may answer on a later turn
 * (PostgreSQL): a logout that lands while the lookup is out must still keep the connection out.
 */
let dir: string
let state: EmbeddedStateStore
let server: Server
let live: LivePush<{ station: string }>
let accounts: Accounts
let onUpgrade: (token: string) => void = () => undefined

beforeEach(async () => {
  dir = tempDir('sw-live-')
  state = new EmbeddedStateStore({ dataDir: dir })
  accounts = new Accounts({ store: slowed(state.accounts, 50), sessionTtlMs: 60_000 })
  live = new LivePush({ principals: new Principals(accounts, new DisplayTokens(state.displayTokens)), source: { statuses: () => [], openAlerts: () => [] }, stats: { onClients: () => undefined, onDropped: () => undefined }, log: pino({ level: 'silent' }) })
  server = createServer()
  server.on('upgrade', (req, socket, head) => {
    live.handleUpgrade(req, socket, head)
    onUpgrade(new URL(req.url!, 'http://x').searchParams.get('token')!)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  await accounts.createUser('li', 'a-long-password', 'viewer')
})
afterEach(async () => {
  live.stop()
  await new Promise<void>((r) => server.close(() => r()))
  await state.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Resolves with the upgrade's outcome: 'open', or the HTTP status it was refused with. */
function connect(token: string): Promise<'open' | number> {
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws?token=${token}`)
  return new Promise((resolve) => {
    ws.on('open', () => (ws.close(), resolve('open')))
    ws.on('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)))
    ws.on('error', () => undefined)
  })
}

test('a live session is admitted after its lookup; an unknown token is refused', async () => {
  const session = (await accounts.login('li', 'a-long-password'))!
  expect(await connect(session.token)).toBe('open')
  expect(await connect('not-a-token')).toBe(401)
})

test('a logout while the session lookup is out: the upgrade is refused, not admitted on the stale answer', async () => {
  const session = (await accounts.login('li', 'a-long-password'))!
  // Right after the lookup has started (the store answers 50 ms later), the session is logged out.
  onUpgrade = (token) => {
    accounts.logout(token)
    live.revoke(token)
  }
  expect(await connect(session.token)).toBe(401)
  expect(live.clientCount).toBe(0)
})

test('upgrades still being looked up count against the address cap: a flood of made-up tokens is refused before it reaches the store', async () => {
  // A store that takes 2 s to answer, so that every upgrade of the flood is out at once.
  live.stop()
  const slowAccounts = new Accounts({ store: slowed(state.accounts, 2000), sessionTtlMs: 60_000 })
  live = new LivePush({ principals: new Principals(slowAccounts, new DisplayTokens(state.displayTokens)), source: { statuses: () => [], openAlerts: () => [] }, stats: { onClients: () => undefined, onDropped: () => undefined }, log: pino({ level: 'silent' }), limits: { perSession: 20, perAddress: 10, https: false } })
  const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => connect(`made-up-${i}`)))
  expect(outcomes.filter((o) => o === 429)).toHaveLength(20)
  expect(outcomes.filter((o) => o === 401)).toHaveLength(10)
  // Once the lookups are answered, the address may try again.
  expect(await connect('made-up-again')).toBe(401)
})
