// Contract v2 §B: POST /api/notify/test, GET /api/notify/status, the notify section of /api/health
// and the notification metrics, through the real service; and a bad NOTIFY_CONFIG through the process.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { killAllSpawned, spawnService } from '../../helpers/process.ts'
import { createUser } from '../../helpers/service.ts'
import { fixtureStation, tempDir, writeStations } from '../../helpers/station-fixture.ts'
import { within } from '../../helpers/wait.ts'
import { dingtalkSignatureOk, DING_SECRET, notifyFile, SMS_KEY_SECRET, startNotifyRig, type NotifyRig } from '../../helpers/notify-rig.ts'

let rig: NotifyRig | undefined
afterEach(async () => {
  await rig?.stop()
  rig = undefined
  killAllSpawned()
})
afterAll(() => killAllSpawned())

const ROUTES = [{ stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['team-wecom', 'team-dingtalk'] }] }]

describe('test message, status, health and metrics', () => {
  test('an admin sends a test message per channel and sees its delivery; others may not; unknown channels are 404, a missing one a 400 naming the field', async () => {
    rig = await startNotifyRig(ROUTES)
    const r = await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 'team-dingtalk' } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ channel: 'team-dingtalk', status: 'sent' })
    expect(typeof r.body.at).toBe('number')
    expect(rig.dingtalk.requests).toHaveLength(1)
    expect(dingtalkSignatureOk(rig.dingtalk.requests[0]!)).toBe(true)
    expect(rig.dingtalk.requests[0]!.raw).toContain('测试消息')

    const sms = await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 'sms' } })
    expect(sms.body).toMatchObject({ channel: 'sms', status: 'sent' })
    expect(rig.sms.requests[0]!.query.get('PhoneNumbers')).toBe('+8613800000001')

    const unknown = await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 'no-such' } })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toContain('no-such')
    const missing = await rig.t.api('/api/notify/test', { method: 'POST', body: {} })
    expect(missing.status).toBe(400)
    expect(missing.body.error.message).toContain('body.channel')
    expect((await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 1 } })).body.error.message).toContain('body.channel')
    const responder = await createUser(rig.t, 'li-responder', 'responder')
    expect((await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 'sms' }, token: responder })).status).toBe(403)
    expect((await rig.t.api('/api/notify/status', { token: responder })).status).toBe(403)
    expect(rig.sms.requests).toHaveLength(1)
  })

  test('a failing channel: the test answers failed, status names the error, health is degraded, metrics count it; it recovers', async () => {
    let failing = true
    rig = await startNotifyRig(ROUTES, { answers: { wecom: () => (failing ? { json: { errcode: 93000, errmsg: 'invalid webhook url' } } : { json: { errcode: 0, errmsg: 'ok' } }) } })
    expect((await rig.t.api('/api/health')).body).toMatchObject({ status: 'ok', notify: { failing: [], queued: 0 } })

    const r = await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 'team-wecom' } })
    expect(r.body).toMatchObject({ channel: 'team-wecom', status: 'failed', error: expect.stringContaining('93000') })
    const status = await rig.t.api('/api/notify/status')
    expect(status.status).toBe(200)
    expect(Object.keys(status.body).sort()).toEqual(['sms', 'team-dingtalk', 'team-wecom'])
    expect(status.body['team-wecom']).toMatchObject({ type: 'wecom', queued: 0, lastError: { at: expect.any(Number), message: expect.stringContaining('93000') } })
    expect(status.body['team-dingtalk']).toEqual({ type: 'dingtalk', queued: 0 })
    const health = await rig.t.api('/api/health')
    expect(health.body.status).toBe('degraded')
    expect(health.body.notify.failing).toEqual(['team-wecom'])
    const metrics = (await rig.t.api('/metrics')).text
    expect(metrics).toMatch(/stationwatch_notify_channel_failing\{channel="team-wecom"\} 1/)
    expect(metrics).toMatch(/stationwatch_notifications_queued\{channel="team-wecom"\} 0/)
    // the secret never shows
    expect(JSON.stringify(status.body) + JSON.stringify(health.body) + metrics).not.toContain(DING_SECRET)
    expect(JSON.stringify(status.body)).not.toContain('WECOMKEY')

    failing = false
    expect((await rig.t.api('/api/notify/test', { method: 'POST', body: { channel: 'team-wecom' } })).body.status).toBe('sent')
    expect((await rig.t.api('/api/notify/status')).body['team-wecom'].lastSuccessAt).toEqual(expect.any(Number))
    expect((await rig.t.api('/api/health')).body).toMatchObject({ status: 'ok', notify: { failing: [] } })

    // deliveries of alerts are counted by channel and status
    await rig.forceDoor()
    const counted = async () => /stationwatch_notifications_total\{channel="team-wecom",status="sent"\} 1/.test((await rig!.t.api('/metrics')).text)
    const end = Date.now() + 3000
    while (!(await counted()) && Date.now() < end) await new Promise((res) => setTimeout(res, 50))
    expect(await counted()).toBe(true)
    expect((await rig.t.api('/metrics')).text).toMatch(/stationwatch_notifications_total\{channel="sms",status="failed"\} 0/)
  })

  test('without NOTIFY_CONFIG there are no channels: empty status, 404 for a test, no notify section', async () => {
    const { startTestService } = await import('../../helpers/service.ts')
    const t = await startTestService()
    try {
      expect((await t.api('/api/notify/status')).body).toEqual({})
      expect((await t.api('/api/notify/test', { method: 'POST', body: { channel: 'team-wecom' } })).status).toBe(404)
      expect((await t.api('/api/health')).body.notify).toBeUndefined()
    } finally {
      await t.stop()
    }
  })
})

describe('a bad NOTIFY_CONFIG stops start-up', () => {
  const stationsDir = writeStations([fixtureStation('badnotify')])
  const start = async (config: unknown, extra: Record<string, string> = {}) => {
    const file = join(tempDir('sw-bad-notify-'), 'notify.json')
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config))
    const p = spawnService({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-bad-notify-data-'), STATIONS: stationsDir, LOG_LEVEL: 'info', NOTIFY_CONFIG: file, ...extra })
    const { code } = await within(p.exited, 20_000, 'the process to exit on a bad NOTIFY_CONFIG')
    const text = [...p.stdout, ...p.stderr].join('\n')
    return { code, text, file }
  }
  const urls = { wecom: 'http://127.0.0.1:9/', dingtalk: 'http://127.0.0.1:9/', sms: 'http://127.0.0.1:9/' }
  const good = (routes: unknown[], extra: Record<string, unknown> = {}) => notifyFile(urls, routes, { onCall: [], ...extra })

  test('an unknown channel in a route names the field and the value', async () => {
    const r = await start(good([{ stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['team-wecom', 'smss'] }] }]))
    expect(r.code).toBe(2)
    expect(r.text).toContain('NOTIFY_CONFIG')
    expect(r.text).toContain(r.file)
    expect(r.text).toContain('routes[0].steps[0].channels[1]')
    expect(r.text).toContain('"smss"')
    expect(r.text).not.toMatch(/^\s+at /m)
    expect(r.text).not.toContain('listening')
  })

  test('an unknown person and a bad time name their fields and values; secrets never appear', async () => {
    const person = await start(good([{ stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['sms'], to: ['nobody'] }] }]))
    expect(person.code).toBe(2)
    expect(person.text).toMatch(/routes\[0\]\.steps\[0\]\.to\[0\]/)
    expect(person.text).toContain('"nobody"')
    const time = await start(good([], { onCall: [{ stations: ['badnotify'], from: '25:00', to: '08:00', people: ['zhang'] }] }))
    expect(time.code).toBe(2)
    expect(time.text).toMatch(/onCall\[0\]\.from/)
    expect(time.text).toContain('"25:00"')
    for (const r of [person, time]) {
      expect(r.text).not.toContain(SMS_KEY_SECRET)
      expect(r.text).not.toContain(DING_SECRET)
    }
  })

  test('a file that is not JSON names the file', async () => {
    const r = await start('{ "publicUrl": ')
    expect(r.code).toBe(2)
    expect(r.text).toContain('NOTIFY_CONFIG')
    expect(r.text).toContain('not valid JSON')
  })
})
