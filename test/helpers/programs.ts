import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The servers the tests start come from Debian packages: where a program is, on PATH or in the usual places. */
export function findProgram(name: string, extraDirs: readonly string[] = ['/usr/bin', '/usr/sbin']): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(extraDirs)) {
    if (!dir) continue
    const p = join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Whether the tests that need a program can run. In CI (CI=true) a missing one is an error that
 * fails the file; locally they are skipped, saying how to install it.
 */
export function programAvailable(found: boolean, hint: string, skipping: string): boolean {
  if (found) return true
  if (process.env.CI === 'true') throw new Error(`${hint}; CI must install it (see .ci/run)`)
  console.warn(`skipping ${skipping}: ${hint}`)
  return false
}
