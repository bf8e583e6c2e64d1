import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { InfluxTarget } from './influx-url.ts'

/**
 * What went wrong with a write, and what to do about it:
 * - `retry`: InfluxDB is down, slow, overloaded (5xx) or refusing our credentials: keep the lines, try later;
 * - `missing-database`: someone dropped the database or its retention policy: create them again, then retry;
 * - `rejected`: InfluxDB read the request and refused points in it for good (a 400 such as a field
 *   type conflict). It has already stored the valid points of the batch; re-sending cannot help.
 */
export class WriteError extends Error {
  constructor(
    message: string,
    readonly kind: 'retry' | 'missing-database' | 'rejected',
    readonly status?: number,
  ) {
    super(message)
    this.name = 'WriteError'
  }
}

/** A batch's request body: its lines, one a line, encoded once (a retry sends the same bytes). */
export function batchBody(lines: string[]): Buffer {
  return Buffer.from(lines.join('\n'))
}

/**
 * POSTs line protocol to `/write` (precision ns). A small dedicated client rather than the
 * `influx` package's `writePoints`: the lines are already encoded (they may come from the spool),
 * and the store needs its own timeout and error classes rather than the pool's retries and host
 * blacklisting.
 */
export class LineWriter {
  private readonly agent: HttpAgent
  private readonly inflight = new Set<AbortController>()
  private readonly path: string
  private readonly authorization: string | undefined

  constructor(
    private readonly target: InfluxTarget,
    retentionPolicy: string,
    private readonly timeoutMs: number,
  ) {
    const opts = { keepAlive: true, maxSockets: 4 }
    this.agent = target.protocol === 'https' ? new HttpsAgent(opts) : new HttpAgent(opts)
    this.path = `/write?${new URLSearchParams({ db: target.database, rp: retentionPolicy, precision: 'n' })}`
    this.authorization = target.username !== undefined ? `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}` : undefined
  }

  /** Sends a body made by `batchBody`. */
  write(body: Buffer): Promise<void> {
    const request = this.target.protocol === 'https' ? httpsRequest : httpRequest
    const abort = new AbortController()
    this.inflight.add(abort)
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => abort.abort(new WriteError(`InfluxDB did not answer a write within ${this.timeoutMs} ms`, 'retry')), this.timeoutMs)
      const done = (err?: Error) => {
        clearTimeout(timer)
        this.inflight.delete(abort)
        if (err) reject(err)
        else resolve()
      }
      const req = request(
        {
          host: this.target.host,
          port: this.target.port,
          method: 'POST',
          path: this.path,
          agent: this.agent,
          signal: abort.signal,
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            'content-length': body.length,
            ...(this.authorization !== undefined ? { authorization: this.authorization } : {}),
          },
        },
        (res) => {
          const status = res.statusCode ?? 0
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            if (text.length < 4096) text += chunk
          })
          res.on('error', (err) => done(new WriteError(`InfluxDB write failed: ${err.message}`, 'retry')))
          res.on('end', () => {
            if (status >= 200 && status < 300) return done()
            done(classify(status, text))
          })
        },
      )
      req.on('error', (err) => {
        const reason = abort.signal.aborted && abort.signal.reason instanceof WriteError ? abort.signal.reason : undefined
        done(reason ?? new WriteError(`InfluxDB write failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`, 'retry'))
      })
      req.end(body)
    })
  }

  /** Abandons writes in flight (on close; what they carried is in the spool) and frees the sockets. */
  destroy(): void {
    for (const a of this.inflight) a.abort(new WriteError('store closed', 'retry'))
    this.agent.destroy()
  }
}

function classify(status: number, body: string): WriteError {
  let message = body.trim()
  try {
    const parsed = JSON.parse(body) as { error?: unknown }
    if (typeof parsed.error === 'string') message = parsed.error
  } catch {
    // not JSON: keep the text
  }
  const text = `InfluxDB answered ${status}${message ? `: ${message.slice(0, 500)}` : ''}`
  // Someone dropped the database or our retention policy: set them up again, then retry.
  if (/database not found|retention policy not found/i.test(message)) return new WriteError(text, 'missing-database', status)
  if (status === 400 || status === 413) return new WriteError(text, 'rejected', status)
  return new WriteError(text, 'retry', status)
}
