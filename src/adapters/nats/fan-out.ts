import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import { z } from 'zod'

export const FAN_OUT_SUBJECT_PREFIX = 'sw.fan'
const ORIGIN_HEADER = 'Sw-Origin'

const kindSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'kind: lowercase letters, digits and "-", at most 32')

export interface FanOutMessage {
  kind: string
  payload: unknown
  /** the instance that published it */
  origin: string
}

/**
 * Status and alert changes from every instance to every instance, so that each can push every
 * station to its own /ws clients. Core NATS (at most once, no storage): a change missed while
 * disconnected is made good by the next one and by the state every instance reads from the
 * database, the same as a browser that reconnects. An instance does not hear its own messages:
 * it has already pushed them locally.
 */
export class FanOutBus {
  private sub: Subscription | undefined

  constructor(private readonly o: { nc: NatsConnection; instance: string; subjectPrefix?: string }) {}

  private get prefix(): string {
    return this.o.subjectPrefix ?? FAN_OUT_SUBJECT_PREFIX
  }

  publish(kind: string, payload: unknown): void {
    kindSchema.parse(kind)
    const h = headers()
    h.set(ORIGIN_HEADER, this.o.instance)
    this.o.nc.publish(`${this.prefix}.${kind}`, JSON.stringify(payload), { headers: h })
  }

  /** One subscriber per bus: the handler gets every other instance's messages, in their order of publication. */
  subscribe(handler: (m: FanOutMessage) => void, onError?: (err: Error) => void): void {
    if (this.sub) throw new Error('the fan-out bus has a subscriber already')
    this.sub = this.o.nc.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return onError?.(err)
        const origin = msg.headers?.get(ORIGIN_HEADER) ?? ''
        if (origin === this.o.instance) return
        try {
          handler({ kind: msg.subject.slice(this.prefix.length + 1), payload: msg.json(), origin })
        } catch (e) {
          onError?.(e as Error)
        }
      },
    })
  }

  /** Waits until the servers have the subscription, so that a publish right after is not missed. */
  async ready(): Promise<void> {
    await this.o.nc.flush()
  }

  close(): void {
    this.sub?.unsubscribe()
    this.sub = undefined
  }
}
