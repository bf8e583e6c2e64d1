import type { NextFunction, Request, Response } from 'express'
import type { IncomingMessage } from 'node:http'
import { AppError } from '../../domain/errors.ts'
import { stationNamedIn, type ScopeLookups } from './scope-guard.ts'

/** A request as carried to the station's owner: what its routes read, nothing of the socket. */
export interface RelayedRequest {
  method: string
  /** path and query, as the client sent them */
  url: string
  headers: Record<string, string>
  body: Uint8Array
}

export interface RelayedAnswer {
  status: number
  headers: Record<string, string>
  body: Uint8Array
}

export interface OwnerRelayOptions {
  lookups: ScopeLookups
  /** whether this instance owns the station now */
  owns: (station: string) => boolean
  /** carries the request to the station's owner and resolves with its answer */
  relay: (station: string, req: RelayedRequest) => Promise<RelayedAnswer>
}

/**
 * The commands that change what only a station's owner holds in memory (its alerts, incidents,
 * drills, the judgement of its ledger and inspections). Station and device administration is not
 * here: it takes effect on every instance (catalogue fan-out), and reads are answered locally.
 */
const OWNER_COMMANDS: readonly RegExp[] = [
  /^\/api\/alerts\/[^/]+\/(ack|resolve)$/i,
  /^\/api\/incidents\/[^/]+\/close$/i,
  /^\/api\/drills\/[^/]+\/end$/i,
  /^\/api\/stations\/[^/]+\/(incidents|drills|trainings)$/i,
  /^\/api\/stations\/[^/]+\/inspections\/[^/]+\/runs$/i,
  /^\/api\/stations\/[^/]+\/ledger\/(receipts|issues|counts|write-offs)$/i,
]

/** Headers the owner's routes read (credentials, body type, origin checks); hop-by-hop ones are not carried. */
const CARRIED_REQUEST_HEADERS = ['authorization', 'cookie', 'content-type', 'content-encoding', 'origin', 'host', 'x-forwarded-host', 'x-forwarded-proto', 'user-agent', 'accept', 'accept-language']
const CARRIED_ANSWER_HEADERS = ['content-type', 'content-disposition', 'retry-after']
const MAX_BODY_BYTES = 64 * 1024

const RELAYED = Symbol('stationwatch.relayed')

/** Marks a request that arrived relayed from another instance: it is handled here, never relayed again. */
export function markRelayed(req: IncomingMessage): void {
  ;(req as IncomingMessage & { [RELAYED]?: true })[RELAYED] = true
}

function isRelayed(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [RELAYED]?: true })[RELAYED] === true
}

/**
 * Cluster mode (contract v2 §F): a command for a station owned by another instance is carried to
 * that owner and answered with the owner's answer, so that every instance serves the whole API
 * while each station's alerts, timers and judgements stay with one instance. Mounted after
 * authentication and the station scope (a request refused here is not carried) and before the
 * body is parsed (the body is carried as sent, at most 64 KB).
 */
export function ownerRelay(o: OwnerRelayOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || isRelayed(req) || !OWNER_COMMANDS.some((r) => r.test(req.path))) return next()
    const named = await stationNamedIn(o.lookups, req.path)
    // An unknown thing, or one of this instance's stations: the route answers it here.
    if (named?.station === undefined || o.owns(named.station)) return next()
    const body = await readBody(req)
    const headers: Record<string, string> = {}
    for (const h of CARRIED_REQUEST_HEADERS) {
      const v = req.headers[h]
      if (typeof v === 'string') headers[h] = v
    }
    const answer = await o.relay(named.station, { method: req.method, url: req.originalUrl, headers, body })
    for (const h of CARRIED_ANSWER_HEADERS) if (answer.headers[h] !== undefined) res.setHeader(h, answer.headers[h])
    res.status(answer.status).end(Buffer.from(answer.body))
  }
}

function readBody(req: Request): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data')
        req.resume()
        reject(new AppError('PAYLOAD_TOO_LARGE', 'body: too large'))
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
    // A client that resets mid-body: nothing is carried, and nothing waits for the rest.
    req.on('close', () => {
      if (!req.complete) reject(new AppError('BAD_REQUEST', 'body: the connection closed before the body ended'))
    })
  })
}
