import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  method: string
  path: string
  /** the request target as sent (query still encoded) */
  rawUrl: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  raw: string
  body: any
  /** real time it arrived */
  at: number
}

export type Answer = { status?: number; json?: unknown; delayMs?: number }

/**
 * A local HTTP server standing in for a vendor endpoint: it records every request and answers
 * what `answer` says (by default what the vendor answers on success).
 */
export class StandIn {
  readonly requests: SeenRequest[] = []
  answer: (req: SeenRequest, n: number) => Answer
  private server: Server | undefined
  url = ''

  constructor(answer: (req: SeenRequest, n: number) => Answer = () => ({ json: { errcode: 0, errmsg: 'ok' } })) {
    this.answer = answer
  }

  async start(path = '/'): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => (raw += c))
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x')
        let body: unknown
        try {
          body = raw ? JSON.parse(raw) : undefined
        } catch {
          body = raw
        }
        const seen: SeenRequest = { method: req.method ?? '', path: u.pathname, rawUrl: req.url ?? '', query: u.searchParams, headers: req.headers, raw, body, at: Date.now() }
        this.requests.push(seen)
        const a = this.answer(seen, this.requests.length)
        const reply = () => {
          res.statusCode = a.status ?? 200
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify(a.json ?? {}))
        }
        if (a.delayMs) setTimeout(reply, a.delayMs)
        else reply()
      })
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`
    return this
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()))
  }
}

/** Polls (real time) until `cond` holds, or fails naming what was awaited. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
