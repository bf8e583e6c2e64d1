import type { MqttClient } from 'mqtt'
import { DEMO_ITEMS, DEMO_KEYS } from '../../simulator/demo-station-data.ts'
import { loadSecrets, loadStationFiles } from '../../simulator/station-files.ts'
import { DEMO_SECRETS_FILE, DEMO_STATION_FILE } from '../../simulator/make-demo-station.ts'
import { publishState, publishStatus, type TestService } from './service.ts'
import type { FixtureStation } from './station-fixture.ts'

/** The seed's demo station (config/stations/xinhua.json: 2 doors, 4 keys, 42 items, 7 devices) with its demo secrets. */
export function demoFixtureStation(extra: Record<string, unknown> = {}): FixtureStation {
  const station = loadStationFiles(DEMO_STATION_FILE)[0]!
  return { id: station.id, secrets: loadSecrets(DEMO_SECRETS_FILE), json: { ...(station as unknown as Record<string, unknown>), ...extra } }
}

export const DEMO_ITEM_NAMES: ReadonlyMap<string, string> = new Map(DEMO_ITEMS.map((i) => [i.id, i.name]))
/** the counted items' minimums */
export const DEMO_MINS: ReadonlyMap<string, number> = new Map(DEMO_ITEMS.flatMap((i) => (i.min === undefined ? [] : [[i.id, i.min] as const])))

/**
 * A busy afternoon at the demo station: every device online, every shelf reported (a few supplies
 * low, one professional tool missing), the main door open with a key taken out for it, and the
 * equipment-room door opened with both its keys in the box: forced, a critical alert.
 */
export async function busyDemoStation(t: TestService, seq = 1): Promise<void> {
  const S = 'xinhua'
  const devices = t.stations.find((s) => s.id === S)!.json.devices as { id: string; type: string; items?: string[] }[]
  const clients = new Map<string, MqttClient>()
  for (const d of devices) {
    const c = await t.device(d.id)
    clients.set(d.id, c)
    await publishStatus(c, S, d.id, { online: true, battery: d.id.endsWith('room-bulk') ? 12 : 80 + (d.id.length % 20) })
  }
  for (const d of devices.filter((x) => x.type === 'equipment')) {
    const items: Record<string, boolean | number> = {}
    for (const id of d.items ?? []) {
      const row = DEMO_ITEMS.find((i) => i.id === id)!
      items[id] = row.min !== undefined ? (id === 'drinking-water' || id === 'batteries' ? Math.floor(row.min / 2) : row.min + 3) : id !== 'cut-off-saw'
    }
    await publishState(clients.get(d.id)!, S, d.id, { ts: Date.now(), seq, items })
  }
  const slots = Object.fromEntries(DEMO_KEYS.map((k) => [k.slot, k.id === 'key-main-property' ? null : k.id]))
  await publishState(clients.get(`${S}-keybox`)!, S, `${S}-keybox`, { ts: Date.now(), seq, slots, user: 'badge-0042' })
  await publishState(clients.get(`${S}-door-main`)!, S, `${S}-door-main`, { ts: Date.now(), seq, open: true })
  await publishState(clients.get(`${S}-door-equipment-room`)!, S, `${S}-door-equipment-room`, { ts: Date.now(), seq, open: true })
}
