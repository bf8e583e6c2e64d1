import { rmSync } from 'node:fs'
import pino, { type Logger } from 'pino'
import { BatchWriter } from '../../src/adapters/embedded/batch-writer.ts'
import { openDatabase } from '../../src/adapters/embedded/database.ts'
import { EmbeddedReadingStore } from '../../src/adapters/embedded/embedded-reading-store.ts'
import { InfluxReadingStore, type InfluxStoreOptions } from '../../src/adapters/influx/influx-reading-store.ts'
import { parseInfluxUrl } from '../../src/adapters/influx/influx-url.ts'
import type { Point, ReadingStore } from '../../src/ports.ts'
import { tempDir } from '../helpers/station-fixture.ts'
import type { Influxd } from '../helpers/influxd.ts'

/** One store under test, and how to open it again on the same data. */
export interface StoreHandle {
  store: ReadingStore
  /** closes this instance and opens a new one on the same data */
  reopen(): Promise<ReadingStore>
  close(): Promise<void>
}

export function openEmbedded(): StoreHandle {
  const dir = tempDir('sw-store-')
  let db = openDatabase(dir)
  let writer = new BatchWriter(db)
  const h: StoreHandle = {
    store: new EmbeddedReadingStore(db, writer),
    async reopen() {
      await h.store.close()
      await writer.close()
      db.close()
      db = openDatabase(dir)
      writer = new BatchWriter(db)
      h.store = new EmbeddedReadingStore(db, writer)
      return h.store
    },
    async close() {
      await h.store.close()
      await writer.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return h
}

export type InfluxTestOptions = Partial<Omit<InfluxStoreOptions, 'target'>> & { waitForInfluxMs?: number }

/** An InfluxDB store on its own database and its own DATA_DIR (for the spool). */
export async function openInflux(influxd: Pick<Influxd, 'url'>, database: string, opts: InfluxTestOptions = {}): Promise<StoreHandle & { dataDir: string }> {
  const dataDir = opts.dataDir ?? tempDir('sw-influx-data-')
  const open = () =>
    InfluxReadingStore.open({
      target: parseInfluxUrl(`${influxd.url}/${database}`),
      retention: '365d',
      spoolMaxBytes: 64 * 1024 * 1024,
      log: quietLog(),
      ...opts,
      dataDir,
    })
  const h = {
    dataDir,
    store: (await open()) as ReadingStore,
    async reopen() {
      await h.store.close()
      h.store = await open()
      return h.store
    },
    async close() {
      await h.store.close()
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return h
}

export function quietLog(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
}

// ---- points as src/ingest/points.ts makes them (contract §7) ------------------------------------

export function doorPoint(t: number, open: boolean, o: { station?: string; door?: string; device?: string; deviceTs?: number } = {}): Point {
  const station = o.station ?? 's1'
  const door = o.door ?? 'main'
  return { measurement: 'door', t, station, subject: `door:${door}`, tags: { station, door, device: o.device ?? `${station}-door-${door}` }, fields: { open, device_ts: o.deviceTs ?? t - 5 } }
}

export function keyPoint(t: number, present: boolean, o: { station?: string; key?: string; slot?: string | null; user?: string | null } = {}): Point {
  const station = o.station ?? 's1'
  const key = o.key ?? 'key-main-1'
  return {
    measurement: 'key',
    t,
    station,
    subject: `key:${key}`,
    tags: { station, key, device: `${station}-keybox` },
    fields: { present, slot: o.slot === undefined ? (present ? '1' : null) : o.slot, user: o.user ?? null, device_ts: t - 5 },
  }
}

export function itemPoint(t: number, value: boolean | number, o: { station?: string; item?: string } = {}): Point {
  const station = o.station ?? 's1'
  const item = o.item ?? (typeof value === 'number' ? 'water' : 'spreader-1')
  return {
    measurement: 'item',
    t,
    station,
    subject: `item:${item}`,
    tags: { station, item, category: typeof value === 'number' ? 'water-food' : 'breaching', kind: typeof value === 'number' ? 'supply' : 'professional', device: `${station}-shelf` },
    fields: typeof value === 'number' ? { count: value, device_ts: t - 5 } : { present: value, device_ts: t - 5 },
  }
}

export function devicePoint(t: number, online: boolean, o: { station?: string; device?: string; battery?: number; rssi?: number } = {}): Point {
  const station = o.station ?? 's1'
  const device = o.device ?? `${station}-door-main`
  return { measurement: 'device', t, station, subject: `device:${device}`, tags: { station, device, type: 'door' }, fields: { online, battery: o.battery ?? null, rssi: o.rssi ?? null } }
}

/** As src/service.ts makes them: subject `alert:<the alert's subject>`. */
export function alertPoint(t: number, o: { station?: string; id?: string; state?: string; escalated?: boolean } = {}): Point {
  const station = o.station ?? 's1'
  return {
    measurement: 'alert',
    t,
    station,
    subject: 'alert:door:main',
    tags: { station, rule: 'door-forced', severity: 'critical' },
    fields: { id: o.id ?? 'a1', state: o.state ?? 'active', subject: 'door:main', escalated: o.escalated ?? false },
  }
}
