// The admin routes of contract v2 §E as the admin view calls them: stations in their file form
// (without devices when written), devices whose secret comes back once, rotate and disable.
import { request } from './api.js'

/**
 * @typedef {{ doorOpenMaxSeconds?: number, keyOverdueSeconds?: number, equipmentMissingSeconds?: number, heartbeatSeconds?: number, batteryLowPercent?: number, escalateAfterSeconds?: number, expiryWarnDays?: number }} StationRules
 * @typedef {{ id: string, name: string }} DoorConfig
 * @typedef {{ id: string, name: string, opens: string[], holder?: string }} KeyConfig
 * @typedef {{ id: string, name: string, category: string, kind: 'professional' | 'supply', min?: number, code?: string, expiryWarnDays?: number }} ItemConfig
 * @typedef {{ id: string, type: 'door' | 'keybox' | 'equipment', name?: string, door?: string, slots?: Record<string, string>, items?: string[], secretHash?: string, disabled?: boolean }} DeviceConfig
 * @typedef {{ id: string, name: string, district?: string, timezone?: string, doors: DoorConfig[], keys: KeyConfig[], equipment: ItemConfig[], devices?: DeviceConfig[], rules?: StationRules, inspections?: unknown[] }} StationConfig
 * @typedef {Omit<StationConfig, 'devices'>} StationBody the station-file form without devices, as POST and PUT take it
 * @typedef {{ device: DeviceConfig, secret: string }} IssuedSecret
 */

const enc = encodeURIComponent

export const adminApi = {
  /** @returns {Promise<StationConfig>} */
  config: (/** @type {string} */ station) => request(`/api/stations/${enc(station)}/config`),
  configUrl: (/** @type {string} */ station) => `/api/stations/${enc(station)}/config`,
  /** @returns {Promise<unknown>} */
  createStation: (/** @type {StationBody} */ body) => request('/api/stations', { method: 'POST', body }),
  /** @returns {Promise<unknown>} */
  updateStation: (/** @type {string} */ id, /** @type {StationBody} */ body) => request(`/api/stations/${enc(id)}`, { method: 'PUT', body }),
  /** @returns {Promise<IssuedSecret>} */
  addDevice: (/** @type {string} */ station, /** @type {Omit<DeviceConfig, 'secretHash'>} */ body) => request(`/api/stations/${enc(station)}/devices`, { method: 'POST', body }),
  /** @returns {Promise<IssuedSecret>} */
  rotateSecret: (/** @type {string} */ device) => request(`/api/devices/${enc(device)}/rotate-secret`, { method: 'POST', body: {} }),
  /** @returns {Promise<unknown>} */
  disableDevice: (/** @type {string} */ device) => request(`/api/devices/${enc(device)}/disable`, { method: 'POST', body: {} }),
}

/** The rules a station form offers, with the service's defaults (src/domain/station.ts) as placeholders. */
export const RULE_DEFAULTS = /** @type {const} */ ({
  doorOpenMaxSeconds: 600,
  keyOverdueSeconds: 14400,
  equipmentMissingSeconds: 1800,
  heartbeatSeconds: 60,
  batteryLowPercent: 20,
  escalateAfterSeconds: 300,
  expiryWarnDays: 30,
})

/** Ids go into MQTT topics and URLs (contract §2). */
export const ID_PATTERN = '[a-z0-9][a-z0-9\\-]{0,62}'
