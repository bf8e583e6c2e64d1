import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import { verifySecret } from '../auth/secret-hash.ts'
import type { StationConfig } from '../domain/station.ts'

const DEMO_SECRETS = fileURLToPath(new URL('../../simulator/demo-secrets.json', import.meta.url))

/** Demo secrets are public (they ship with the simulator): say so loudly if they guard real devices. */
export function warnAboutDemoSecrets(stations: StationConfig[], log: Logger): void {
  if (!existsSync(DEMO_SECRETS)) return
  let secrets: Record<string, string>
  try {
    secrets = JSON.parse(readFileSync(DEMO_SECRETS, 'utf8')) as Record<string, string>
  } catch {
    return
  }
  const demo = stations.flatMap((s) => s.devices.filter((d) => typeof secrets[d.id] === 'string' && verifySecret(d.secretHash, secrets[d.id]!)).map((d) => d.id))
  if (demo.length) log.warn({ devices: demo }, `${demo.length} device(s) use the public demo secrets from simulator/demo-secrets.json; generate real ones with "npx stationwatch secret" before deploying`)
}
