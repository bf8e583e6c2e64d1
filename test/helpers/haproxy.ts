import { describe } from 'vitest'
import { findProgram, programAvailable } from './programs.ts'

/** Debian's haproxy (2.6 in bookworm), for the deploy check of deploy/cluster/haproxy.cfg. */

export const HAPROXY_HINT = 'haproxy is not installed: run "apt-get install -y haproxy"'

export function findHaproxy(): string | undefined {
  return findProgram('haproxy', ['/usr/sbin', '/usr/bin'])
}

/** In CI (CI=true) a missing haproxy fails the file; elsewhere its tests are skipped with a hint. */
export function haproxyAvailable(): boolean {
  return programAvailable(!!findHaproxy(), HAPROXY_HINT, 'haproxy tests')
}

export const describeWithHaproxy = (name: string, body: () => void) => describe.skipIf(!haproxyAvailable())(name, body)
