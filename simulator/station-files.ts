import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { parseStation, type Station } from './station.ts'

/** One station file, or every `*.json` in a folder (sorted), as `STATIONS` means for the service. */
export function loadStationFiles(path: string): Station[] {
  let files: string[]
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(path, f))
      : [path]
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  if (files.length === 0) throw new Error(`${path}: no *.json station files in this folder`)
  const stations = files.map((file) => parseStation(readJson(file), file))
  const deviceOwner = new Map<string, string>()
  for (const s of stations) {
    for (const d of s.devices) {
      const other = deviceOwner.get(d.id)
      if (other) throw new Error(`${path}: device id "${d.id}" is used by stations "${other}" and "${s.id}"`)
      deviceOwner.set(d.id, s.id)
    }
  }
  return stations
}

const secretsSchema = z.record(z.string(), z.string().min(1))
export type Secrets = Record<string, string>

/** `{ "<deviceId>": "<secret>" }`. */
export function loadSecrets(file: string): Secrets {
  const r = secretsSchema.safeParse(readJson(file))
  if (!r.success) throw new Error(`${file}: must be a JSON object of device id → secret string`)
  return r.data
}

export function readJson(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`)
  }
}

/** Stable, reviewable JSON: two-space indent and a final newline. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}
