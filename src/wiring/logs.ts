import pino, { type Logger } from 'pino'
import type { Env } from '../config/env.ts'

/** Log fields that may hold a credential, at the top level and up to two levels down (pino redact paths). */
const LOG_REDACT_PATHS = ['password', 'secret', 'token', 'authorization', 'cookie', 'adminPassword', 'newPassword'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]).concat([
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers["set-cookie"]',
  'err.body',
])

/**
 * The service's logger, with every credential redacted; `root` is the unredacted one, used only for
 * the single line that shows a generated administrator password.
 */
export function createLogs(env: Env, given?: Logger): { log: Logger; root: Logger } {
  const root = given ?? pino({ level: env.LOG_LEVEL, base: { service: 'stationwatch' } })
  return { root, log: root.child({}, { redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }) }
}
