import { createServer, request, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { markRelayed, type RelayedAnswer, type RelayedRequest } from '../../adapters/http/owner-relay.ts'
import { RelayUnavailableError, RequestRelay } from '../../adapters/nats/request-relay.ts'
import { AppError } from '../../domain/errors.ts'
import type { Part } from '../../lifecycle.ts'
import type { ClusterLink } from './link.ts'

/**
 * Commands for stations owned elsewhere (owner-relay.ts) travel over NATS to the owner, which runs
 * them through its own HTTP app on a loopback-only listener, exactly as if they had arrived at its
 * public port (authentication, scope and every check included), and answers with the result.
 */
export class CommandRelay implements Part {
  readonly name = 'cluster-command-relay'
  private readonly relay: RequestRelay
  private server: Server | undefined
  private port = 0

  constructor(private readonly o: { link: ClusterLink; app: () => RequestListener; log: Logger }) {
    this.relay = new RequestRelay({ nc: o.link.nc })
  }

  async start(): Promise<void> {
    const app = this.o.app()
    const server = createServer((req, res) => {
      markRelayed(req)
      app(req, res)
    })
    // Loopback only, and only this instance connects; still, no socket is held longer than the
    // public port would hold it (another local process could connect).
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    this.relay.close()
    const server = this.server
    if (!server) return
    server.closeIdleConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** For the HTTP side: carries a command to its station's owner; a missing owner is a 503. */
  async send(station: string, req: RelayedRequest): Promise<RelayedAnswer> {
    try {
      return await this.relay.send(this.o.link.partitionOf(station), req)
    } catch (err) {
      if (err instanceof RelayUnavailableError) throw new AppError('OWNER_UNAVAILABLE', `station "${station}": ${err.message}`)
      throw err
    }
  }

  /** For the ownership: serve the relayed commands of an owned partition. */
  serve(partition: number, owns: () => boolean): void {
    this.relay.serve(partition, owns, (req) => this.handle(req), (err) => this.o.log.warn({ err, partition }, 'relayed command'))
  }

  unserve(partition: number): void {
    this.relay.unserve(partition)
  }

  private handle(req: RelayedRequest): Promise<RelayedAnswer> {
    return new Promise((resolve) => {
      const fail = (err: Error) => {
        this.o.log.error({ err }, 'relayed command: the local HTTP app did not answer')
        resolve({ status: 500, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } })) })
      }
      const r = request({ host: '127.0.0.1', port: this.port, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(req.body.length) } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v
          resolve({ status: res.statusCode ?? 500, headers, body: Buffer.concat(chunks) })
        })
        res.on('error', fail)
      })
      r.on('error', fail)
      r.end(Buffer.from(req.body))
    })
  }
}
