import { RequestError, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import { z } from 'zod'

export const RELAY_SUBJECT_PREFIX = 'sw.relay'

export interface RelayRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: Uint8Array
}

export interface RelayAnswer {
  status: number
  headers: Record<string, string>
  body: Uint8Array
}

/** What went wrong carrying a request: nobody owns the partition (yet), or its owner did not answer. */
export class RelayUnavailableError extends Error {
  constructor(
    message: string,
    /** true when the request may have been handled (its owner took it and did not answer in time) */
    readonly mayHaveRun: boolean,
  ) {
    super(message)
  }
}

const wireRequest = z.object({
  method: z.string().max(16),
  url: z.string().max(8192),
  headers: z.record(z.string(), z.string().max(16_384)),
  body: z.string().max(100_000),
})
const wireAnswer = z.union([
  z.object({ moved: z.literal(true) }),
  z.object({ status: z.number().int().min(100).max(599), headers: z.record(z.string(), z.string()), body: z.string() }),
])

export interface RequestRelayOptions {
  nc: NatsConnection
  /** how long `send` waits for an owner to exist (a takeover) before it fails (default 20 s) */
  ownerWaitMs?: number
  /** how long the owner may take to answer (default 15 s) */
  answerTimeoutMs?: number
  subjectPrefix?: string
}

/**
 * Requests carried to the owner of a partition over NATS request/reply. The owner serves its
 * partitions' subjects in one queue group, so each request is handled by one instance even when a
 * lease changes hands under it; an instance asked about a partition it has just lost answers
 * "moved" and the sender asks again. A request is sent again only when nobody took it (no
 * responders, or "moved"): one that an owner took and did not answer in time is not repeated,
 * since the command may have run — the caller is told so.
 */
export class RequestRelay {
  private readonly served = new Map<number, Subscription>()

  constructor(private readonly o: RequestRelayOptions) {}

  private subject(partition: number): string {
    return `${this.o.subjectPrefix ?? RELAY_SUBJECT_PREFIX}.${partition}`
  }

  async send(partition: number, req: RelayRequest): Promise<RelayAnswer> {
    const deadline = Date.now() + (this.o.ownerWaitMs ?? 20_000)
    const data = JSON.stringify({ ...req, body: Buffer.from(req.body).toString('base64') })
    let wait = 100
    for (;;) {
      let reply
      try {
        reply = await this.o.nc.request(this.subject(partition), data, { timeout: this.o.answerTimeoutMs ?? 15_000 })
      } catch (err) {
        if (!(err instanceof RequestError && err.isNoResponders())) {
          throw new RelayUnavailableError(`the owner of partition ${partition} did not answer in time (${(err as Error).message}); the command may have been applied`, true)
        }
      }
      if (reply) {
        const a = wireAnswer.parse(reply.json())
        if (!('moved' in a)) return { status: a.status, headers: a.headers, body: Buffer.from(a.body, 'base64') }
      }
      if (Date.now() + wait > deadline) throw new RelayUnavailableError(`no instance owns partition ${partition} at the moment (a takeover is under way); try again`, false)
      await new Promise((r) => setTimeout(r, wait))
      wait = Math.min(wait * 2, 1000)
    }
  }

  /**
   * Serves a partition this instance owns: `handle` answers its requests while `owns()` holds; once
   * it no longer does, a request is answered "moved" without running.
   */
  serve(partition: number, owns: () => boolean, handle: (req: RelayRequest) => Promise<RelayAnswer>, onError: (err: Error) => void): void {
    if (this.served.has(partition)) return
    const sub = this.o.nc.subscribe(this.subject(partition), {
      queue: 'owner',
      callback: (err, msg) => {
        if (err) return onError(err)
        void (async () => {
          if (!owns()) return msg.respond(JSON.stringify({ moved: true }))
          let req: RelayRequest
          try {
            const w = wireRequest.parse(msg.json())
            req = { ...w, body: Buffer.from(w.body, 'base64') }
          } catch (e) {
            onError(e as Error)
            return msg.respond(JSON.stringify({ status: 400, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'relay: malformed request' } })).toString('base64') }))
          }
          const a = await handle(req)
          msg.respond(JSON.stringify({ status: a.status, headers: a.headers, body: Buffer.from(a.body).toString('base64') }))
        })().catch((e: unknown) => onError(e as Error))
      },
    })
    this.served.set(partition, sub)
  }

  unserve(partition: number): void {
    this.served.get(partition)?.unsubscribe()
    this.served.delete(partition)
  }

  close(): void {
    for (const p of [...this.served.keys()]) this.unserve(p)
  }
}
