import type { ServiceApi } from './service-api.ts'
import { ServiceApiError } from './service-api.ts'
import type { Secrets } from './station-files.ts'
import type { Station } from './station.ts'

export interface ProvisionResult {
  /** the stations as the simulator drives them (devices without a usable hash: the service holds it) */
  stations: Station[]
  /** device id → the secret the service issued */
  secrets: Secrets
  created: number
  updated: number
  devicesAdded: number
  /** devices that existed already: their secret was rotated to learn a usable one */
  secretsRotated: number
}

/** Stations set up at once: enough to hide the round trips, few enough not to crowd a small service. */
const DEFAULT_CONCURRENCY = 8

/**
 * Creates `stations` in a running service through its admin API (contract v2 §E) instead of
 * writing station files: each station without its devices (POST /api/stations, or PUT when it
 * exists from an earlier run), then each device (POST /api/stations/:id/devices), whose answer
 * carries its secret once. A device that exists already gets a new secret (rotate-secret), so a
 * second run works without the first run's secrets.
 */
export async function provisionThroughApi(api: ServiceApi, stations: Station[], opts: { concurrency?: number; log?: (line: string) => void } = {}): Promise<ProvisionResult> {
  const result: ProvisionResult = { stations, secrets: {}, created: 0, updated: 0, devicesAdded: 0, secretsRotated: 0 }
  const queue = [...stations]
  const worker = async (): Promise<void> => {
    for (let s = queue.shift(); s; s = queue.shift()) await provisionOne(api, s, result)
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, stations.length) }, worker))
  opts.log?.(
    `provisioned ${stations.length} station(s) through the API: ${result.created} created, ${result.updated} updated; ` +
      `${result.devicesAdded} device(s) added, ${result.secretsRotated} existing one(s) given a new secret`,
  )
  return result
}

async function provisionOne(api: ServiceApi, station: Station, result: ProvisionResult): Promise<void> {
  const { devices, ...body } = station
  const path = `/api/stations/${encodeURIComponent(station.id)}`
  try {
    await api.call('POST', '/api/stations', body)
    result.created++
  } catch (err) {
    if (!(err instanceof ServiceApiError && err.status === 409)) throw err
    await api.call('PUT', path, body)
    result.updated++
  }
  for (const device of devices) {
    const { secretHash: _hash, ...form } = device
    let answer: unknown
    try {
      answer = await api.call('POST', `${path}/devices`, form)
      result.devicesAdded++
    } catch (err) {
      if (!(err instanceof ServiceApiError && err.status === 409)) throw err
      answer = await api.call('POST', `/api/devices/${encodeURIComponent(device.id)}/rotate-secret`, {})
      result.secretsRotated++
    }
    const secret = (answer as { secret?: unknown } | undefined)?.secret
    if (typeof secret !== 'string' || secret === '') throw new Error(`device ${device.id}: the service's answer carries no secret`)
    result.secrets[device.id] = secret
  }
}
