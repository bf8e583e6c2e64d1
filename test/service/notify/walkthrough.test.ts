// The README's walk-through, from outside as a new user would: the stand-ins program, the service
// started with the example config pointed at them (steps 30× faster), a forced door at the demo
// station over real MQTT with the demo secrets; the chain walks step by step as configured.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, describe, expect, test } from 'vitest'
import { killAllSpawned, REPO_ROOT, spawnNode, spawnService, waitListening, type ServiceProcess } from '../../helpers/process.ts'
import { tempDir } from '../../helpers/station-fixture.ts'
import { eventually } from '../../helpers/wait.ts'

afterAll(() => killAllSpawned())

const secrets = JSON.parse(readFileSync(join(REPO_ROOT, 'simulator/demo-secrets.json'), 'utf8')) as Record<string, string>

/** The stand-ins' lines for one vendor, as printed: "HH:MM:SS VENDOR ok|REFUSED … summary". */
const lines = (p: ServiceProcess, vendor: string) => p.stdout.filter((l) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${vendor}\\s`).test(l))

describe('walk-through: config/notify.example.json on local stand-ins', () => {
  test('a forced door at the demo station reaches WeCom, DingTalk and the webhook at once, SMS to the person on call at step 1, Feishu and SMS to 赵六 at step 2', async () => {
    const out = join(tempDir('sw-walk-'), 'notify.local.json')
    const standIns = spawnNode(['--import', 'tsx', 'simulator/notify-stand-ins.ts', '--port', '0', '--fast', '--out', out], {})
    await eventually(() => standIns.stdout.some((l) => l.startsWith('stand-ins-env ')), 15_000, 'the stand-ins to start')
    const env = JSON.parse(standIns.stdout.find((l) => l.startsWith('stand-ins-env '))!.slice('stand-ins-env '.length)) as Record<string, string>
    expect(env.NOTIFY_CONFIG).toBe(out)

    const svc = spawnService({ ...env, HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-walk-data-'), STATIONS: join(REPO_ROOT, 'config/stations'), ADMIN_PASSWORD: 'walk-through-password', LOG_LEVEL: 'info' })
    const { mqttPort, httpPort } = await waitListening(svc, 20_000)
    const connect = (id: string) => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: id, clientId: id, password: secrets[id]!, reconnectPeriod: 0, protocolVersion: 4 })
    const [keybox, door] = await Promise.all([connect('xinhua-keybox'), connect('xinhua-door-main')])
    try {
      const slots = { '1': 'key-main-property', '2': 'key-main-community', '3': 'key-equipment-room-property', '4': 'key-equipment-room-community' }
      await keybox.publishAsync('stations/xinhua/devices/xinhua-keybox/state', JSON.stringify({ ts: Date.now(), seq: 1, slots }), { qos: 1 })
      await door.publishAsync('stations/xinhua/devices/xinhua-door-main/state', JSON.stringify({ ts: Date.now(), seq: 1, open: false }), { qos: 1 })
      const forcedAt = Date.now()
      await door.publishAsync('stations/xinhua/devices/xinhua-door-main/state', JSON.stringify({ ts: Date.now(), seq: 2, open: true }), { qos: 1 })

      // step 0: WeCom, DingTalk (signature checked by the stand-in) and the webhook
      await eventually(() => lines(standIns, 'WeCom').length >= 1 && lines(standIns, 'DingTalk').length >= 1 && lines(standIns, 'webhook').length >= 1, 3000, 'step 0')
      expect(Date.now() - forcedAt).toBeLessThan(3000)
      expect(lines(standIns, 'WeCom')[0]).toMatch(/ ok .*新华社区应急服务站.*门被强行打开/)
      expect(lines(standIns, 'DingTalk')[0]).toMatch(/ ok /)
      expect(lines(standIns, 'webhook')[0]).toMatch(/ ok .*opened door-forced door:main/)
      expect(lines(standIns, 'SMS')).toEqual([])

      // step 1 at 300/30 = 10 s: SMS to whoever is on call now (zhang, li or wang, by the Shanghai clock)
      await eventually(() => lines(standIns, 'SMS').length >= 1, 16_000, 'step 1 (SMS to the person on call)')
      expect(Date.now() - forcedAt).toBeGreaterThan(9_000)
      expect(lines(standIns, 'SMS')[0]).toMatch(/ ok +to \+86138000000(01|02|03): 新华社区应急服务站 门被强行打开 紧急 http:\/\/127\.0\.0\.1:8080\/#\/alerts\//)

      // step 2 at 900/30 = 30 s: Feishu (in English) and SMS to 赵六
      const toZhao = () => lines(standIns, 'SMS').filter((l) => l.includes('to +8613800000004:'))
      await eventually(() => lines(standIns, 'Feishu').length >= 1 && toZhao().length >= 1, 28_000, 'step 2 (Feishu and SMS to zhao)')
      expect(Date.now() - forcedAt).toBeGreaterThan(29_000)
      expect(lines(standIns, 'Feishu')[0]).toMatch(/ ok .*Door forced open/)
      // step 1 went to everyone on call at that moment (two windows can overlap: a weekday night and a weekend day)
      const step1 = lines(standIns, 'SMS').filter((l) => !l.includes('to +8613800000004:'))
      expect(step1.length).toBeGreaterThanOrEqual(1)
      expect(new Set(step1).size).toBe(step1.length)
      expect(toZhao()).toHaveLength(1)
      expect(standIns.stdout.filter((l) => l.includes('REFUSED'))).toEqual([])

      // the delivery log, as the dashboard shows it
      const login = await fetch(`http://127.0.0.1:${httpPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'walk-through-password' }) })
      const { token } = (await login.json()) as { token: string }
      const alerts = (await (await fetch(`http://127.0.0.1:${httpPort}/api/alerts?state=active`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string; rule: string }[]
      const forced = alerts.find((a) => a.rule === 'door-forced')!
      const log = (await (await fetch(`http://127.0.0.1:${httpPort}/api/alerts/${forced.id}/notifications`, { headers: { authorization: `Bearer ${token}` } })).json()) as { step: number; channel: string; status: string }[]
      expect([...new Set(log.filter((r) => r.status === 'sent').map((r) => `${r.step}:${r.channel}`))].sort()).toEqual(['0:hook', '0:team-dingtalk', '0:team-wecom', '1:sms', '2:ops-feishu', '2:sms'])
      expect(log.filter((r) => r.status === 'sent' && r.step === 1)).toHaveLength(step1.length)
      // no secret in the service's output
      expect([...svc.stdout, ...svc.stderr].join('\n')).not.toMatch(/demo-access-key-secret|SECdemo-dingtalk-stand-in|demo-feishu-stand-in|key=demo-key|access_token=demo-token/)
    } finally {
      await Promise.all([keybox.endAsync(true), door.endAsync(true)])
      svc.child.kill('SIGTERM')
      standIns.kill()
    }
  }, 90_000)
})
