import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe } from 'vitest'

/** Debian's haproxy (2.6 in bookworm), for the deploy check of deploy/cluster/haproxy.cfg. */

export const HAPROXY_HINT = 'haproxy is not installed: run "apt-get install -y haproxy"'

export function findHaproxy(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin'])) {
    if (!dir) continue
    const p = join(dir, 'haproxy')
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/** In CI (CI=true) a missing haproxy fails the file; elsewhere its tests are skipped with a hint. */
export function haproxyAvailable(): boolean {
  if (findHaproxy()) return true
  if (process.env.CI === 'true') throw new Error(`${HAPROXY_HINT}; CI must install it (see .ci/run)`)
  console.warn(`skipping haproxy tests: ${HAPROXY_HINT}`)
  return false
}

export const describeWithHaproxy = (name: string, body: () => void) => describe.skipIf(!haproxyAvailable())(name, body)
