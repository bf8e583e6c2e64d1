import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'
import type { Env } from '../config/env.ts'

/** Log fields that may hold a credential, at the top level and up to two levels down (pino redact paths). */
const LOG_REDACT_PATHS = ['password', 'secret', 'token', 'authorization', 'cookie', 'adminPassword', 'newPassword'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]).concat([
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers["set-cookie"]',
  'err.body',
])

/** Where log lines go: process.stdout in the service; a test passes its own stream. */
export type LogOutput = NodeJS.WritableStream & { isTTY?: boolean }

/**
 * `LOG_FORMAT=auto` (the default) prints readable lines to a person at a terminal and JSON to
 * everything else (a pipe, a file, docker, journald), which is what log collectors parse.
 */
export function wantsPretty(format: Env['LOG_FORMAT'], out: LogOutput): boolean {
  return format === 'pretty' || (format === 'auto' && out.isTTY === true)
}

/**
 * The service's logger, with every credential redacted; `root` is the unredacted one, used only for
 * the single line that shows a generated administrator password. Redaction happens before a line is
 * formatted, so the readable form hides the same fields as JSON.
 */
export function createLogs(env: Env, given?: Logger, out: LogOutput = process.stdout): { log: Logger; root: Logger } {
  const root = given ?? rootLogger(env, out)
  return { root, log: root.child({}, { redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }) }
}

function rootLogger(env: Env, out: LogOutput): Logger {
  const options = { level: env.LOG_LEVEL, base: { service: 'stationwatch' } }
  if (wantsPretty(env.LOG_FORMAT, out)) {
    const stream = pretty({ destination: out, colorize: out.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true })
    return pino(options, stream)
  }
  return out === process.stdout ? pino(options) : pino(options, out)
}
