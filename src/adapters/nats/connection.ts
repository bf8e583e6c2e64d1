import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node'
import { z } from 'zod'

/** NATS_URL: one or more `nats://host:port`, comma-separated (any node of the cluster will do). */
export const natsUrlSchema = z
  .string()
  .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
  .pipe(z.array(z.string().regex(/^(nats|tls):\/\/[^\s,/]+(:\d+)?$/, 'NATS_URL: each entry must look like nats://host:4222')).min(1, 'NATS_URL: at least one server'))

export interface NatsConnectionSettings {
  /** the servers of NATS_URL */
  servers: string[]
  /** INSTANCE_ID: how this instance shows in the servers' monitoring pages */
  name: string
}

/**
 * How an instance connects: to whichever listed node answers, and on losing it to any node of the
 * cluster, forever — an instance without NATS cannot acknowledge readings, so it keeps trying
 * rather than exit. The jitter spreads the reconnects of many instances after a node restarts.
 * Pings every 5 s notice a node that vanished without closing its sockets (a machine lost) in
 * about 10 s instead of the default 4 minutes.
 */
export function natsConnectionOptions(s: NatsConnectionSettings): NodeConnectionOptions {
  return {
    servers: s.servers,
    name: s.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 1000,
    reconnectJitterTLS: 1000,
    waitOnFirstConnect: true,
    pingInterval: 5000,
    maxPingOut: 2,
  }
}

export function connectNats(s: NatsConnectionSettings): Promise<NatsConnection> {
  return connect(natsConnectionOptions(s))
}
