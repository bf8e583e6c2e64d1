import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildDemoStation, demoDeviceIds } from './demo-station.ts'
import { hashSecret, newSecret, verifySecret } from './secret-hash.ts'
import { loadSecrets, readJson, toJsonText, type Secrets } from './station-files.ts'
import { parseStation } from './station.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const DEMO_STATION_FILE = resolve(ROOT, 'config/stations/xinhua.json')
export const DEMO_SECRETS_FILE = resolve(ROOT, 'simulator/demo-secrets.json')

/**
 * (Re)writes the demo station file and its secrets from the data table. A device
 * keeps its secret and hash when the existing pair still verifies, so running
 * this again changes nothing unless the table changed or `rotate` is asked for.
 */
export function writeDemoStation(opts: { stationFile: string; secretsFile: string; rotate?: boolean }): { rotated: string[] } {
  const oldSecrets: Secrets = !opts.rotate && existsSync(opts.secretsFile) ? loadSecrets(opts.secretsFile) : {}
  const oldHashes = !opts.rotate && existsSync(opts.stationFile) ? hashesIn(opts.stationFile) : {}
  const secrets: Secrets = {}
  const hashes: Record<string, string> = {}
  const rotated: string[] = []
  for (const id of demoDeviceIds()) {
    const secret = oldSecrets[id]
    const hash = oldHashes[id]
    if (secret && hash && verifySecret(hash, secret)) {
      secrets[id] = secret
      hashes[id] = hash
    } else {
      secrets[id] = newSecret()
      hashes[id] = hashSecret(secrets[id])
      rotated.push(id)
    }
  }
  const station = buildDemoStation(hashes)
  parseStation(station, opts.stationFile) // the table must produce a valid file before anything is written
  for (const f of [opts.stationFile, opts.secretsFile]) mkdirSync(dirname(f), { recursive: true })
  writeFileSync(opts.stationFile, toJsonText(station))
  writeFileSync(opts.secretsFile, toJsonText(secrets))
  return { rotated }
}

function hashesIn(stationFile: string): Record<string, string> {
  const raw = readJson(stationFile) as { devices?: { id?: unknown; secretHash?: unknown }[] }
  const out: Record<string, string> = {}
  for (const d of raw.devices ?? []) if (typeof d.id === 'string' && typeof d.secretHash === 'string') out[d.id] = d.secretHash
  return out
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rotate = process.argv.includes('--rotate')
  const unknown = process.argv.slice(2).filter((a) => a !== '--rotate')
  if (unknown.length > 0) {
    console.error(`make-demo-station: unknown argument ${unknown[0]} (the only flag is --rotate: new secrets for every device)`)
    process.exit(2)
  }
  const { rotated } = writeDemoStation({ stationFile: DEMO_STATION_FILE, secretsFile: DEMO_SECRETS_FILE, rotate })
  console.log(`wrote ${DEMO_STATION_FILE} and ${DEMO_SECRETS_FILE}`)
  console.log(rotated.length ? `new secrets for: ${rotated.join(', ')}` : 'every device kept its secret')
}
