import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { eventually, publishState, startTestService, type TestService } from './service.ts'
import { fixtureStation, tempDir, type FixtureStation } from './station-fixture.ts'
import { StandIn, type SeenRequest } from './vendor-stand-in.ts'
import type { Rules } from '../../src/domain/station.ts'

export const S = 'nstation'
export const DOOR = `${S}-door-main`
export const ROOM = `${S}-door-room`
export const KEYBOX = `${S}-keybox`
export const SHELF = `${S}-shelf`
export const DING_SECRET = 'SEC-test-dingtalk-secret'
export const SMS_KEY_ID = 'LTAI-test-key-id'
export const SMS_KEY_SECRET = 'test-access-key-secret'
export const PUBLIC_URL = 'https://station.example.cn'

/** What each vendor answers on success. */
export const OK_ANSWERS = {
  wecom: () => ({ json: { errcode: 0, errmsg: 'ok' } }),
  dingtalk: () => ({ json: { errcode: 0, errmsg: 'ok' } }),
  sms: () => ({ json: { Code: 'OK', Message: 'OK', BizId: 'biz-1', RequestId: 'req-1' } }),
}

export interface NotifyRig {
  t: TestService
  wecom: StandIn
  dingtalk: StandIn
  sms: StandIn
  configFile: string
  devices: Record<'door' | 'room' | 'keybox' | 'shelf', MqttClient>
  /** opens the main door with no key out; resolves with the door-forced alert from the API */
  forceDoor(door?: 'main' | 'equipment-room'): Promise<any>
  publish(device: 'door' | 'room' | 'keybox' | 'shelf', body: Record<string, unknown>): Promise<void>
  notifications(alertId: string): Promise<any[]>
  /** connects the devices again after t.restart() */
  reconnect(): Promise<void>
  stop(): Promise<void>
}

export type Routes = unknown[]

/** The notifications file: the stand-ins as channels, zhang on call all day at the station. */
export function notifyFile(urls: { wecom: string; dingtalk: string; sms: string }, routes: Routes, extra: Record<string, unknown> = {}) {
  return {
    publicUrl: PUBLIC_URL,
    channels: {
      'team-wecom': { type: 'wecom', url: `${urls.wecom}cgi-bin/webhook/send?key=WECOMKEY` },
      'team-dingtalk': { type: 'dingtalk', url: `${urls.dingtalk}robot/send?access_token=DINGTOKEN`, secret: DING_SECRET },
      sms: { type: 'sms-aliyun', accessKeyId: SMS_KEY_ID, accessKeySecret: SMS_KEY_SECRET, signName: '测试社区应急站', templateCode: 'SMS_100000001', endpoint: urls.sms },
    },
    people: [
      { id: 'zhang', name: '张三', phone: '+8613800000001' },
      { id: 'li', name: '李四', phone: '+8613800000002' },
    ],
    onCall: [{ stations: [S], days: 'daily', from: '00:00', to: '00:00', people: ['zhang'] }],
    routes,
    ...extra,
  }
}

/**
 * A real service whose NOTIFY_CONFIG points at local stand-ins for WeCom, DingTalk and Aliyun SMS,
 * with the station's devices connected over real MQTT: doors closed, keys in the box.
 */
export async function startNotifyRig(routes: Routes, o: { rules?: Partial<Rules>; extra?: Record<string, unknown>; answers?: Partial<Record<'wecom' | 'dingtalk' | 'sms', (r: SeenRequest, n: number) => { status?: number; json?: unknown }>> } = {}): Promise<NotifyRig> {
  const wecom = await new StandIn(o.answers?.wecom ?? OK_ANSWERS.wecom).start()
  const dingtalk = await new StandIn(o.answers?.dingtalk ?? OK_ANSWERS.dingtalk).start()
  const sms = await new StandIn(o.answers?.sms ?? OK_ANSWERS.sms).start()
  const configFile = join(tempDir('sw-notify-'), 'notify.json')
  writeFileSync(configFile, JSON.stringify(notifyFile({ wecom: wecom.url, dingtalk: dingtalk.url, sms: sms.url }, routes, o.extra), null, 2))
  const station: FixtureStation = fixtureStation(S, o.rules)
  const t = await startTestService({ stations: [station], env: { NOTIFY_CONFIG: configFile } })
  let seq = 0
  const rig: NotifyRig = {
    t,
    wecom,
    dingtalk,
    sms,
    configFile,
    devices: {} as NotifyRig['devices'],
    async publish(device, body) {
      const id = { door: DOOR, room: ROOM, keybox: KEYBOX, shelf: SHELF }[device]
      await publishState(rig.devices[device], S, id, { ts: Date.now(), seq: ++seq, ...body })
    },
    async forceDoor(door = 'main') {
      await rig.publish(door === 'main' ? 'door' : 'room', { open: true })
      return eventually(async () => ((await t.api('/api/alerts?state=active')).body as any[]).find((a) => a.rule === 'door-forced' && a.subject === `door:${door}`), 3000, 'the door-forced alert')
    },
    async notifications(alertId) {
      const r = await t.api(`/api/alerts/${alertId}/notifications`)
      if (r.status !== 200) throw new Error(`GET notifications: ${r.status} ${r.text}`)
      return r.body as any[]
    },
    async reconnect() {
      rig.devices.door = await t.device(DOOR)
      rig.devices.room = await t.device(ROOM)
      rig.devices.keybox = await t.device(KEYBOX)
      rig.devices.shelf = await t.device(SHELF)
    },
    async stop() {
      await t.stop()
      await Promise.all([wecom.close(), dingtalk.close(), sms.close()])
    },
  }
  await rig.reconnect()
  await rig.publish('door', { open: false })
  await rig.publish('room', { open: false })
  await rig.publish('keybox', { slots: { '1': 'key-main-1', '2': 'key-room-1' } })
  await rig.publish('shelf', { items: { 'spreader-1': true, extinguisher: true, water: 30 } })
  return rig
}

/** DingTalk's check, computed here independently: sign = base64 HMAC-SHA256(secret, timestamp + "\n" + secret). */
export function dingtalkSignatureOk(r: SeenRequest, secret = DING_SECRET): boolean {
  const ts = r.query.get('timestamp') ?? ''
  const expected = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64')
  const rawSign = /[?&]sign=([^&]*)/.exec(r.rawUrl)?.[1]
  return /^\d{13}$/.test(ts) && Math.abs(Number(ts) - Date.now()) < 3_600_000 && r.query.get('sign') === expected && rawSign === encodeURIComponent(expected)
}

/** The alert ids a request's text links to (`publicUrl/#/alerts/<id>`). */
export function linkedAlerts(r: SeenRequest): string[] {
  const ids = [...r.raw.matchAll(/#\/alerts\/([A-Za-z0-9_%-]+)/g)].map((m) => decodeURIComponent(m[1]!))
  return [...new Set(ids)]
}

/** A time in Asia/Shanghai as HH:MM, `minutes` from now. */
export function shanghaiHHMM(minutes: number, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(now + minutes * 60_000))
}
