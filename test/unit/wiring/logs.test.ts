import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { parseEnv } from '../../../src/config/env.ts'
import { createLogs, type LogOutput } from '../../../src/wiring/logs.ts'

/** A stream standing in for stdout; `tty` says whether it claims to be a terminal. */
function capture(tty: boolean): { out: LogOutput; text: () => string } {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean }
  if (tty) out.isTTY = true
  let text = ''
  out.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return { out, text: () => text }
}

/** Log lines are written asynchronously through the pretty transform: give it a turn. */
const settle = () => new Promise((r) => setTimeout(r, 50))

function logLine(format: string | undefined, tty: boolean) {
  const env = parseEnv({ LOG_FORMAT: format, LOG_LEVEL: 'info' })
  const c = capture(tty)
  const { log } = createLogs(env, undefined, c.out)
  log.info({ httpPort: 8080, token: 'tok-SECRET-1', req: { headers: { authorization: 'Bearer tok-SECRET-2' } }, device: { secret: 'dev-SECRET-3' } }, 'listening')
  return c
}

describe('log lines', () => {
  it('pretty: a readable line with time, level, message and fields, secrets still redacted', async () => {
    const c = logLine('pretty', false)
    await settle()
    const text = c.text()
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: listening\n/)
    expect(text).toContain('httpPort: 8080')
    expect(text).toContain('[redacted]')
    expect(text).not.toMatch(/SECRET/)
    expect(text).not.toMatch(/^\{/) // not JSON
    expect(text).not.toContain('\u001b[') // no colour codes when the output is not a terminal
  })

  it('auto: readable (in colour) at a terminal, JSON when stdout is a pipe or a file', async () => {
    const tty = logLine(undefined, true)
    const pipe = logLine('auto', false)
    await settle()
    expect(tty.text()).toContain('listening')
    expect(tty.text()).toContain('\u001b[') // coloured level
    expect(tty.text()).not.toMatch(/SECRET/)
    const json = JSON.parse(pipe.text().trim())
    expect(json).toMatchObject({ level: 30, msg: 'listening', httpPort: 8080, service: 'stationwatch', token: '[redacted]' })
    expect(pipe.text()).not.toMatch(/SECRET/)
  })

  it('json: JSON even at a terminal', async () => {
    const c = logLine('json', true)
    await settle()
    expect(JSON.parse(c.text().trim())).toMatchObject({ msg: 'listening', device: { secret: '[redacted]' } })
  })

  it('a bad LOG_FORMAT stops start-up naming the variable', () => {
    expect(() => parseEnv({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT="yaml"/)
  })
})
