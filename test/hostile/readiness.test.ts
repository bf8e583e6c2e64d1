// Issue 12 item 15, contract v2 A1: until the `listening` line, `/api/health` answers
// `503 {"status":"starting"}` (or the port is not bound yet), and a login that arrives the moment
// health first says 200 succeeds — on a first start, when the administrator is still being created.
import { afterEach, expect, test } from 'vitest'
import { killAllSpawned, spawnService, waitListening } from '../helpers/process.ts'
import { fixtureStation, tempDir, writeStations } from '../helpers/station-fixture.ts'
import { freePort } from './raw-http.ts'

const station = fixtureStation('ready')
const stationsDir = writeStations([station])
const PASSWORD = 'readiness-admin-password'

afterEach(() => killAllSpawned())

interface Seen { starting: number; refused: number; firstOk: boolean; login: number }

/** Polls health as fast as it answers; the moment it says 200, logs in. */
async function raceToFirstLogin(httpPort: number, deadline: number): Promise<Seen> {
  const seen: Seen = { starting: 0, refused: 0, firstOk: false, login: 0 }
  while (Date.now() < deadline) {
    let r: Response
    try {
      r = await fetch(`http://127.0.0.1:${httpPort}/api/health`)
    } catch {
      seen.refused++ // not bound yet
      await new Promise((res) => setTimeout(res, 2))
      continue
    }
    const body = (await r.json().catch(() => undefined)) as { status?: string } | undefined
    if (r.status === 503) {
      expect(body).toEqual({ status: 'starting' })
      expect(r.headers.get('cache-control')).toMatch(/no-store/)
      seen.starting++
      continue
    }
    expect(r.status).toBe(200)
    const login = await fetch(`http://127.0.0.1:${httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })
    seen.login = login.status
    seen.firstOk = true
    return seen
  }
  throw new Error(`health never said 200: ${JSON.stringify(seen)}`)
}

test('on a first start, health says 503 "starting" until the admin exists, and a login at the first 200 succeeds (3 fresh starts)', async () => {
  let startingSeen = 0
  for (let attempt = 0; attempt < 3; attempt++) {
    const httpPort = await freePort()
    const p = spawnService({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: String(httpPort), DATA_DIR: tempDir('sw-ready-'), STATIONS: stationsDir, ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info' })
    try {
      const seen = await raceToFirstLogin(httpPort, Date.now() + 20_000)
      expect(seen.login, JSON.stringify(seen)).toBe(200)
      startingSeen += seen.starting
      // By the first 200 the `listening` line is out (or on its way: it is written right after).
      await waitListening(p, 2000)
    } finally {
      p.kill()
    }
  }
  // The window is the administrator's password hash (tens of ms): polled back to back, it is seen.
  expect(startingSeen).toBeGreaterThan(0)
}, 90_000)
