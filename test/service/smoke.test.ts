import { afterAll, beforeAll, expect, test } from 'vitest'
import { eventually, publishState, startTestService, type TestService } from '../helpers/service.ts'

let t: TestService
beforeAll(async () => { t = await startTestService() })
afterAll(async () => { await t?.stop() })

test('smoke: a door reading changes station status', async () => {
  const id = `${t.station.id}-door-main`
  const c = await t.device(id)
  await publishState(c, t.station.id, id, { ts: Date.now(), seq: 1, open: true })
  const status = await eventually(async () => {
    const r = await t.api(`/api/stations/${t.station.id}`)
    return r.body.doors[0].open === true ? r.body : undefined
  })
  console.log(JSON.stringify(status, null, 1).slice(0, 1500))
  expect(status.doors[0].stale).toBe(false)
})
