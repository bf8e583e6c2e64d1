import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { hashSecret, newSecret, verifySecret } from './secret-hash.ts'
import { loadSecrets, toJsonText, type Secrets } from './station-files.ts'
import type { Rules, Station } from './station.ts'

const SYNTHETIC_FILE = /^s\d{4,}\.json$/

/** s0001, s0002, … wide enough for `count`. */
export function syntheticStationId(index: number, count: number): string {
  return `s${String(index + 1).padStart(Math.max(4, String(count).length), '0')}`
}

/**
 * N stations shaped like `template`: same doors, keys, items and devices, with
 * station ids s0001… and device ids re-prefixed (xinhua-door-main → s0001-door-main),
 * so ids stay unique across the fleet. A device keeps its secret when `reuse`
 * has one that still matches its hash, so regenerating does not lock out a
 * running service.
 */
export function synthesizeStations(
  template: Station,
  count: number,
  opts: { rules?: Rules; reuse?: { secrets: Secrets; hashes: Record<string, string> } } = {},
): { stations: Station[]; secrets: Secrets } {
  const secrets: Secrets = {}
  const stations: Station[] = []
  for (let i = 0; i < count; i++) {
    const id = syntheticStationId(i, count)
    const devices = template.devices.map((d) => {
      const deviceId = d.id.startsWith(`${template.id}-`) ? `${id}-${d.id.slice(template.id.length + 1)}` : `${id}-${d.id}`
      if (deviceId.length > 63) throw new Error(`synthetic device id "${deviceId}" is longer than 63 characters`)
      const oldSecret = opts.reuse?.secrets[deviceId]
      const oldHash = opts.reuse?.hashes[deviceId]
      const keep = oldSecret !== undefined && oldHash !== undefined && verifySecret(oldHash, oldSecret)
      secrets[deviceId] = keep ? oldSecret : newSecret()
      return { ...d, id: deviceId, secretHash: keep ? oldHash : hashSecret(secrets[deviceId]) }
    })
    // The template's own rules are not copied: a load run states the rules it needs.
    const shape = structuredClone({ timezone: template.timezone, doors: template.doors, keys: template.keys, equipment: template.equipment })
    stations.push({ id, name: `${template.name}（模拟 ${id}）`, ...shape, devices, ...(opts.rules ? { rules: { ...opts.rules } } : {}) })
  }
  return { stations, secrets }
}

export interface PreparedStations {
  stations: Station[]
  secrets: Secrets
  /** station files written because they were new or changed: the service must be (re)started to see them */
  written: number
  /** station files of an earlier, larger run that were removed */
  removed: number
}

/**
 * Writes N synthetic station files into `dir` (a folder the service can load
 * as STATIONS) and their secrets into `secretsFile`, which must not be a *.json
 * in that folder, or the service would read it as a station. Only files the
 * simulator wrote (sNNNN.json) may be in the folder.
 */
export function prepareSyntheticStations(opts: { dir: string; secretsFile: string; count: number; template: Station; rules?: Rules }): PreparedStations {
  const dir = resolve(opts.dir)
  const secretsFile = resolve(opts.secretsFile)
  if (dirname(secretsFile) === dir && secretsFile.endsWith('.json')) {
    throw new Error(`--secrets ${opts.secretsFile}: must not be a *.json file inside --stations-dir (the service would load it as a station)`)
  }
  mkdirSync(dir, { recursive: true })
  const present = readdirSync(dir).filter((f) => f.endsWith('.json'))
  const foreign = present.filter((f) => !SYNTHETIC_FILE.test(f))
  if (foreign.length) {
    throw new Error(`--stations-dir ${relative(process.cwd(), dir) || dir}: holds station files the simulator did not write (${foreign.slice(0, 3).join(', ')}); choose another folder`)
  }
  const hashes: Record<string, string> = {}
  for (const f of present) {
    try {
      const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { devices?: { id?: unknown; secretHash?: unknown }[] }
      for (const d of s.devices ?? []) if (typeof d.id === 'string' && typeof d.secretHash === 'string') hashes[d.id] = d.secretHash
    } catch {
      // An unreadable old file is simply rewritten.
    }
  }
  const oldSecrets = existsSync(secretsFile) ? loadSecrets(secretsFile) : {}
  const { stations, secrets } = synthesizeStations(opts.template, opts.count, { ...(opts.rules ? { rules: opts.rules } : {}), reuse: { secrets: oldSecrets, hashes } })

  let written = 0
  const keep = new Set<string>()
  for (const s of stations) {
    const file = join(dir, `${s.id}.json`)
    keep.add(basename(file))
    const text = toJsonText(s)
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      writeFileSync(file, text)
      written++
    }
  }
  let removed = 0
  for (const f of present) {
    if (!keep.has(f)) {
      rmSync(join(dir, f))
      removed++
    }
  }
  mkdirSync(dirname(secretsFile), { recursive: true })
  writeFileSync(secretsFile, toJsonText(secrets))
  return { stations, secrets, written, removed }
}
