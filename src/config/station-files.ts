import { createHash } from 'node:crypto'
import { statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { StationConfig } from '../domain/station.ts'
import { ConfigError } from './env.ts'
import { loadStations, parseStationFile, stationFilePaths } from './stations.ts'

/** A station file as read: its configuration and the hash of it (what "changed on disk" compares). */
export interface ReadStation { config: StationConfig; hash: string; file: string }

/**
 * The hash of a station's configuration as parsed (defaults filled in): a file whose text changes
 * but not what it configures (spacing, key order of the same values) is not a change.
 */
export function stationHash(config: StationConfig): string {
  return createHash('sha256').update(JSON.stringify(config), 'utf8').digest('hex')
}

/** At start: every station file, or a ConfigError naming the file and field (start-up stops). */
export function loadStationFiles(path: string): ReadStation[] {
  const { stations, files } = loadStations(path)
  return stations.map((config) => ({ config, hash: stationHash(config), file: files.get(config.id)! }))
}

/**
 * While running: every station file that reads well; each bad one is an error naming its file and
 * field, and is left out (what runs from it stays as it was). A second file with a station id
 * already read is left out too.
 */
export function rereadStationFiles(path: string): { stations: ReadStation[]; errors: string[] } {
  const stations: ReadStation[] = []
  const errors: string[] = []
  let files: string[]
  try {
    files = stationFilePaths(path)
  } catch (err) {
    return { stations, errors: [(err as Error).message] }
  }
  const seen = new Map<string, string>()
  for (const file of files) {
    try {
      const config = parseStationFile(file)
      const other = seen.get(config.id)
      if (other) throw new ConfigError(`${file}: id: duplicate station id "${config.id}" (also in ${other})`)
      seen.set(config.id, file)
      stations.push({ config, hash: stationHash(config), file })
    } catch (err) {
      errors.push((err as Error).message)
    }
  }
  return { stations, errors }
}

/**
 * Calls `onChange` once the station file (or a `*.json` file of the folder) has been quiet for
 * `debounceMs` after a change. The folder is watched, not the file: editors save by writing a new
 * file and renaming it over the old one, which ends a watch on the file itself.
 */
export function watchStationFiles(path: string, onChange: () => void, debounceMs = 300): { stop(): void } {
  let isDir = false
  try {
    isDir = statSync(path).isDirectory()
  } catch {
    isDir = false
  }
  const dir = isDir ? path : dirname(path)
  const only = isDir ? undefined : basename(path)
  let timer: NodeJS.Timeout | undefined
  const watcher: FSWatcher = watch(dir, { persistent: false }, (_event, name) => {
    const file = name?.toString()
    if (file !== undefined && (only ? file !== only : !file.endsWith('.json'))) return
    clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
  })
  // A folder removed or unmounted: the watch ends; the running configuration stays.
  watcher.on('error', () => watcher.close())
  return {
    stop() {
      clearTimeout(timer)
      watcher.close()
    },
  }
}
