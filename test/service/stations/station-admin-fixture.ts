import mqtt, { type MqttClient } from 'mqtt'
import type { TestService } from '../../helpers/service.ts'

/** A station in the station-file form without devices, as `POST /api/stations` takes it. */
export function newStationBody(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `新站 ${id}`,
    district: '七里河街道',
    doors: [{ id: 'main', name: '正门' }],
    keys: [{ id: 'key-main-1', name: '正门钥匙', opens: ['main'] }],
    equipment: [{ id: 'spreader-1', name: '液压破拆工具', category: 'breaching', kind: 'professional' }],
    rules: { doorOpenMaxSeconds: 600 },
    ...extra,
  }
}

/** A device connection that stays open (with a will when `willOf` names its station); `closed` resolves when the service cuts it. */
export async function connectDevice(t: TestService, device: string, secret: string, willOf?: string): Promise<{ client: MqttClient; closed: Promise<void> }> {
  const will = willOf ? { will: { topic: `stations/${willOf}/devices/${device}/status`, payload: Buffer.from('{"online":false}'), qos: 1 as const, retain: true } } : {}
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.svc.mqttPort}`, { protocolVersion: 4, clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 5000, ...will })
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
  return { client, closed }
}

export async function stationEvents(t: TestService, station: string, kind: string): Promise<any[]> {
  const r = await t.api(`/api/stations/${station}/events?kind=${kind}`)
  if (r.status !== 200) throw new Error(`events: ${r.status} ${r.text}`)
  return r.body as any[]
}
