import { ConfigError } from '../config/env.ts'
import type { AuditEvent, EventKind } from '../domain/audit-event.ts'
import { AppError } from '../domain/errors.ts'
import { stationSchema, type DeviceConfig, type StationConfig } from '../domain/station.ts'
import type { EventHub } from '../event-hub.ts'
import type { Clock, StationStore, StoredStation } from '../ports.ts'

/** Bounds on what the API may create (docs/contract.md §11); station files are not bounded by them. */
export interface CatalogueLimits {
  maxStations: number
  maxDevicesPerStation: number
  maxDevices: number
}
export const DEFAULT_CATALOGUE_LIMITS: CatalogueLimits = { maxStations: 2000, maxDevicesPerStation: 200, maxDevices: 20_000 }

export type StationChangeKind = 'created' | 'updated' | 'file-reloaded' | 'device-added' | 'secret-rotated' | 'device-disabled'

export interface StationChange {
  kind: StationChangeKind
  /** the user, or `file:<path>` for a station file re-read */
  by: string
  device?: string
  /** devices whose open connections must be cut now: disabled, secret rotated, gone or changed in a re-read file */
  cut: string[]
  /** cluster mode: made through another instance, which stored it (here it only takes effect) */
  elsewhere?: true
}

/** What the catalogue tells the rest of the service (a subset of the service's event map). */
export interface CatalogueEvents {
  /** a station was added or its configuration replaced (the full form: disabled devices included) */
  stationConfigured: [config: StationConfig, change: StationChange]
}

/** A station file as read: its configuration and the hash of it (what "changed on disk" compares). */
export interface FileStation { config: StationConfig; hash: string; file: string }

interface Entry {
  config: StationConfig
  /** the hash of the station's file as last loaded; null for a station created through the API */
  fileHash: string | null
}

export interface CatalogueLog {
  info(fields: object, msg: string): void
  warn(fields: object, msg: string): void
}

export interface StationCatalogueOptions {
  store: StationStore
  hub: EventHub<CatalogueEvents>
  clock: Clock
  /** a new random device secret and its hash (auth/secret-hash.ts) */
  newSecret: () => { secret: string; secretHash: string }
  limits?: CatalogueLimits
  log: CatalogueLog
}

/**
 * Every station's configuration, changeable while the service runs (contract v2 §E): through the
 * API (persisted in the state store, each change with its audit event) and by station files re-read
 * from disk. Which wins when they disagree: a station file that changed on disk since it was last
 * loaded replaces that station's configuration (API changes to it are dropped); otherwise the
 * stored API version stands. Stations created through the API live only in the store.
 */
export class StationCatalogue {
  private readonly entries = new Map<string, Entry>()
  /** device id → its station, disabled devices included (their ids stay taken) */
  private readonly deviceOwner = new Map<string, string>()
  private readonly limits: CatalogueLimits

  constructor(private readonly opts: StationCatalogueOptions) {
    this.limits = opts.limits ?? DEFAULT_CATALOGUE_LIMITS
  }

  /**
   * At start: the station files against the stored API versions. A stored version stands when it
   * was made from the file as it still is; a file changed since wins (its stored version is
   * dropped); a stored station whose file is gone is not loaded (its row is kept).
   */
  load(files: FileStation[], stored: StoredStation[]): void {
    const rows = new Map(stored.map((r) => [r.id, r]))
    for (const f of files) {
      const row = rows.get(f.config.id)
      rows.delete(f.config.id)
      let config = f.config
      if (row && row.fileHash === f.hash) config = this.storedConfig(row) ?? f.config
      else if (row) {
        this.opts.log.warn({ station: f.config.id, file: f.file }, 'station file changed on disk since its API edit: the file’s version is used, the API changes are dropped')
        this.opts.store.dropStation(f.config.id, this.audit(f.config.id, 'station-file-reloaded', `station:${f.config.id}`, `file:${f.file}`, 'the file changed on disk: it replaces the API version'))
      }
      this.put({ config, fileHash: f.hash }, f.file)
    }
    for (const row of rows.values()) {
      if (row.fileHash !== null) {
        this.opts.log.warn({ station: row.id }, 'a station edited through the API has no station file any more: not loaded (its stored version is kept)')
        continue
      }
      const config = this.storedConfig(row)
      if (config) this.put({ config, fileHash: null }, 'the state store')
    }
  }

  all(): StationConfig[] {
    return [...this.entries.values()].map((e) => e.config)
  }

  get(id: string): StationConfig | undefined {
    return this.entries.get(id)?.config
  }

  mustGet(id: string): StationConfig {
    const e = this.entries.get(id)
    if (!e) throw new AppError('STATION_UNKNOWN', `no station "${id}"`)
    return e.config
  }

  /** `POST /api/stations`: `body` is the station-file form without `devices`. */
  create(body: Record<string, unknown>, by: string): StationConfig {
    const config = this.check({ ...body, devices: [] })
    if (this.entries.has(config.id)) throw new AppError('CONFLICT', `body.id: station "${config.id}" already exists`)
    if (this.entries.size >= this.limits.maxStations) throw new AppError('CONFLICT', `body.id: at most ${this.limits.maxStations} stations`)
    this.commit({ config, fileHash: null }, { kind: 'created', by, cut: [] }, 'station-created', `station:${config.id}`, config.name)
    return config
  }

  /** `PUT /api/stations/:id`: everything but the devices, which stay as they are. */
  replace(id: string, body: Record<string, unknown>, by: string): StationConfig {
    const entry = this.mustEntry(id)
    if (body.id !== undefined && body.id !== id) throw new AppError('BAD_REQUEST', `body.id: must be "${id}", the station in the path`)
    const config = this.check({ ...body, id, devices: entry.config.devices })
    this.commit({ config, fileHash: entry.fileHash }, { kind: 'updated', by, cut: [] }, 'station-updated', `station:${id}`, config.name)
    return config
  }

  /** `POST /api/stations/:id/devices`: the device with a new secret, shown only in this answer. */
  addDevice(stationId: string, body: Record<string, unknown>, by: string): { device: DeviceConfig; secret: string } {
    const entry = this.mustEntry(stationId)
    const { secret, secretHash } = this.opts.newSecret()
    const devices = entry.config.devices
    const owner = typeof body.id === 'string' ? this.deviceOwner.get(body.id) : undefined
    if (owner !== undefined) throw new AppError('CONFLICT', `body.id: device "${String(body.id)}" already exists (station "${owner}")`)
    const config = this.check({ ...entry.config, devices: [...devices, { ...body, secretHash }] }, devices.length)
    const device = config.devices[devices.length]!
    if (devices.length >= this.limits.maxDevicesPerStation) throw new AppError('CONFLICT', `body.id: at most ${this.limits.maxDevicesPerStation} devices a station`)
    if (this.deviceOwner.size >= this.limits.maxDevices) throw new AppError('CONFLICT', `body.id: at most ${this.limits.maxDevices} devices in all`)
    this.commit({ config, fileHash: entry.fileHash }, { kind: 'device-added', by, device: device.id, cut: [] }, 'device-added', `device:${device.id}`, device.type)
    return { device, secret }
  }

  /** A new secret, shown once; the old one is refused from now on and the device's connections are cut. */
  rotateSecret(deviceId: string, by: string): { device: DeviceConfig; secret: string } {
    const { entry, index } = this.mustDevice(deviceId)
    if (entry.config.devices[index]!.disabled) throw new AppError('CONFLICT', `device "${deviceId}" is disabled`)
    const { secret, secretHash } = this.opts.newSecret()
    const config = this.withDevice(entry.config, index, { secretHash })
    this.commit({ config, fileHash: entry.fileHash }, { kind: 'secret-rotated', by, device: deviceId, cut: [deviceId] }, 'device-secret-rotated', `device:${deviceId}`, 'the old secret is refused from now on; its connections were closed')
    return { device: config.devices[index]!, secret }
  }

  /** Disconnected at once and refused after; kept in its station (its id stays taken). Disabling twice changes nothing. */
  disable(deviceId: string, by: string): DeviceConfig {
    const { entry, index } = this.mustDevice(deviceId)
    const current = entry.config.devices[index]!
    const config = current.disabled ? entry.config : this.withDevice(entry.config, index, { disabled: true })
    if (current.disabled) this.opts.hub.emit('stationConfigured', config, { kind: 'device-disabled', by, device: deviceId, cut: [deviceId] })
    else this.commit({ config, fileHash: entry.fileHash }, { kind: 'device-disabled', by, device: deviceId, cut: [deviceId] }, 'device-disabled', `device:${deviceId}`, 'disconnected and refused from now on')
    return config.devices[index]!
  }

  /**
   * A station file read again while running: applied when it differs from what was last loaded
   * from it (it then replaces the station, API changes included). Returns why it was not, if it
   * was refused (a device id another station holds).
   */
  fileLoaded(f: FileStation): { applied: boolean; refused?: string } {
    const entry = this.entries.get(f.config.id)
    if (entry?.fileHash === f.hash) return { applied: false }
    for (const [i, d] of f.config.devices.entries()) {
      const owner = this.deviceOwner.get(d.id)
      if (owner !== undefined && owner !== f.config.id) return { applied: false, refused: `${f.file}: devices.${i}.id: device "${d.id}" belongs to station "${owner}"` }
    }
    const before = new Map((entry?.config.devices ?? []).map((d) => [d.id, d]))
    // Connections of devices that left, were disabled or got another secret are cut.
    const cut = [...before.values()].filter((d) => {
      const now = f.config.devices.find((n) => n.id === d.id)
      return !now || now.disabled || now.secretHash !== d.secretHash
    })
    const by = `file:${f.file}`
    this.opts.store.dropStation(f.config.id, this.audit(f.config.id, 'station-file-reloaded', `station:${f.config.id}`, by, entry ? 'the file changed on disk: it replaces the station' : 'a new station file'))
    this.put({ config: f.config, fileHash: f.hash }, f.file)
    this.opts.hub.emit('stationConfigured', f.config, { kind: 'file-reloaded', by, cut: cut.map((d) => d.id) })
    return { applied: true }
  }

  /**
   * Cluster mode: a change another instance made through the API and stored — in effect here too
   * (the live model, the rules, the broker's devices), without storing it again. A station file
   * re-read is not carried: every instance reads its own files.
   */
  changedElsewhere(config: StationConfig, change: StationChange): void {
    const r = stationSchema.safeParse(config)
    if (!r.success) {
      this.opts.log.warn({ station: config.id, field: r.error.issues[0]!.path.join('.') }, 'a station change from another instance does not pass the station-file checks: ignored')
      return
    }
    const fileHash = this.entries.get(r.data.id)?.fileHash ?? null
    try {
      this.put({ config: r.data, fileHash }, 'another instance')
    } catch (err) {
      this.opts.log.warn({ station: config.id, err }, 'a station change from another instance conflicts with this one: ignored')
      return
    }
    this.opts.hub.emit('stationConfigured', r.data, { ...change, elsewhere: true })
  }

  /** Resolves once every change made so far is durable in the store: the API answers a change after it. */
  committed(): Promise<void> {
    return this.opts.store.committed()
  }

  // ---- inside -----------------------------------------------------------------------

  /**
   * The whole station checked as a station file is, with fields named as the request body has
   * them; `newDevice` is the index of the device being added (its fields are the body's).
   */
  private check(candidate: Record<string, unknown>, newDevice?: number): StationConfig {
    const r = stationSchema.safeParse(candidate)
    if (r.success) return r.data
    const issue = r.error.issues[0]!
    const path = issue.path.map(String)
    let field: string
    if (newDevice !== undefined) field = path[0] === 'devices' && path[1] === String(newDevice) ? ['body', ...path.slice(2)].join('.') : `station ${String(candidate.id)}: ${path.join('.')}`
    else if (path[0] === 'devices') field = `body: a device of the station still needs what was removed (${path.join('.')})`
    else field = ['body', ...path].join('.')
    throw new AppError('BAD_REQUEST', `${field}: ${issue.message}`)
  }

  private withDevice(config: StationConfig, index: number, change: Partial<DeviceConfig>): StationConfig {
    return { ...config, devices: config.devices.map((d, i) => (i === index ? ({ ...d, ...change } as DeviceConfig) : d)) }
  }

  private mustEntry(id: string): Entry {
    const e = this.entries.get(id)
    if (!e) throw new AppError('STATION_UNKNOWN', `no station "${id}"`)
    return e
  }

  private mustDevice(deviceId: string): { entry: Entry; index: number } {
    const owner = this.deviceOwner.get(deviceId)
    const entry = owner !== undefined ? this.entries.get(owner) : undefined
    const index = entry ? entry.config.devices.findIndex((d) => d.id === deviceId) : -1
    if (!entry || index < 0) throw new AppError('DEVICE_UNKNOWN', `no device "${deviceId}"`)
    return { entry, index }
  }

  /** Stored first (with its audit event), then in effect: a change the store refused changes nothing. */
  private commit(entry: Entry, change: StationChange, kind: EventKind, subject: string, detail: string): void {
    const stored: StoredStation = { id: entry.config.id, config: entry.config, fileHash: entry.fileHash, updatedAt: this.opts.clock.now(), updatedBy: change.by }
    this.opts.store.saveStation(stored, this.audit(entry.config.id, kind, subject, change.by, detail))
    this.put(entry, 'the API')
    this.opts.hub.emit('stationConfigured', entry.config, change)
  }

  private put(entry: Entry, source: string): void {
    const id = entry.config.id
    for (const d of entry.config.devices) {
      const owner = this.deviceOwner.get(d.id)
      if (owner !== undefined && owner !== id) throw new ConfigError(`${source}: station "${id}": device id "${d.id}" is also in station "${owner}"`)
    }
    const before = this.entries.get(id)
    for (const d of before?.config.devices ?? []) this.deviceOwner.delete(d.id)
    for (const d of entry.config.devices) this.deviceOwner.set(d.id, id)
    this.entries.set(id, entry)
  }

  private storedConfig(row: StoredStation): StationConfig | undefined {
    const r = stationSchema.safeParse(row.config)
    if (r.success) return r.data
    const issue = r.error.issues[0]!
    this.opts.log.warn({ station: row.id, field: issue.path.join('.'), error: issue.message }, 'a stored station does not pass the station-file checks: not loaded')
    return undefined
  }

  private audit(station: string, kind: EventKind, subject: string, by: string, detail: string): AuditEvent {
    return { t: this.opts.clock.now(), station, kind, subject, device: '', user: by, detail }
  }
}
