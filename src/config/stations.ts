import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { stationSchema, type StationConfig } from '../domain/station.ts'
import { ConfigError } from './env.ts'

/** Loads one station file, or every `*.json` file of a folder, and checks ids across files. */
export function loadStations(path: string): { stations: StationConfig[]; files: Map<string, string> } {
  const files = stationFilePaths(path)
  if (files.length === 0) throw new ConfigError(`STATIONS=${path}: no *.json station files in this folder`)

  const stations: StationConfig[] = []
  const fileOf = new Map<string, string>()
  const deviceFile = new Map<string, string>()
  for (const file of files) {
    const station = parseStationFile(file)
    const other = fileOf.get(station.id)
    if (other) throw new ConfigError(`${file}: id: duplicate station id "${station.id}" (also in ${other})`)
    station.devices.forEach((d, i) => {
      const prev = deviceFile.get(d.id)
      if (prev) throw new ConfigError(`${file}: devices.${i}.id: duplicate device id "${d.id}" (also in ${prev})`)
      deviceFile.set(d.id, file)
    })
    fileOf.set(station.id, file)
    stations.push(station)
  }
  return { stations, files: fileOf }
}

/** What `STATIONS` names: one file, or every `*.json` of a folder in name order; a ConfigError when it cannot be read. */
export function stationFilePaths(path: string): string[] {
  try {
    return statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(path, f))
      : [path]
  } catch (err) {
    throw new ConfigError(`STATIONS=${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
}

export function parseStationFile(file: string): StationConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${printable((err as Error).message)})`)
  }
  const r = stationSchema.safeParse(json)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const field = printable(issue.path.map(String).join('.')) || '(root)'
    throw new ConfigError(`${file}: ${field}: ${issue.message}`)
  }
  return r.data
}

/** A file's bytes can end up in an error message: keep terminal control characters out of it. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
