import { existsSync, readFileSync } from 'node:fs'
import { NotifyConfigError, parseNotifyConfig, type NotifyConfig } from '../notify/config.ts'
import { ConfigError } from './env.ts'

export const DEFAULT_NOTIFY_CONFIG = './config/notify.json'

/**
 * NOTIFY_CONFIG (contract v2 §B): the named file, else ./config/notify.json when it exists, else no
 * notifications (undefined). A file that cannot be read or is invalid stops start-up, naming the
 * file, the field and the bad value (never a secret).
 */
export function loadNotifyConfig(env: Record<string, string | undefined>, knownStations: Iterable<string>): NotifyConfig | undefined {
  const path = env.NOTIFY_CONFIG || (existsSync(DEFAULT_NOTIFY_CONFIG) ? DEFAULT_NOTIFY_CONFIG : undefined)
  if (!path) return undefined
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(`NOTIFY_CONFIG=${path}: ${code ? `cannot read (${code})` : `not valid JSON (${(err as Error).message})`}`)
  }
  try {
    return parseNotifyConfig(data, env, knownStations)
  } catch (err) {
    if (err instanceof NotifyConfigError) throw new ConfigError(`NOTIFY_CONFIG=${path}:\n  ${err.problems.join('\n  ')}`)
    throw err
  }
}
