import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes'
import { createServer, type Server } from 'node:net'
import type { Logger } from 'pino'
import { verifySecret } from '../../auth/secret-hash.ts'
import type { Fleet } from '../../domain/fleet.ts'
import type { Ingest } from '../../ingest/ingest.ts'
import { mayReceive, maySubscribe, ownPublishTopic } from './acl.ts'
import { checkClientId } from './client-id.ts'
import { DeviceSessions } from './device-sessions.ts'
import type { AckGate } from './durable-acks.ts'
import { IngestAndAcknowledge } from './ingest-and-ack.ts'
import { PublishThrottle } from './publish-throttle.ts'
import { cut, DEFAULT_REFUSAL_BUDGET, RefusalBudget, type RefusalBudgetOptions } from './refusal-budget.ts'
import { Wills } from './wills.ts'

// AuthErrorCode is a type-only const enum in aedes' types.
const IDENTIFIER_REJECTED = 2
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

export interface MqttBroker {
  aedes: Aedes
  server: Server
  connectedDevices(): number
  /** closes every connection of a device (disabled, or its secret rotated); how many were closed */
  disconnectDevice(device: string): number
  close(): Promise<void>
}

/**
 * The embedded broker: authenticates devices against their station file, lets
 * each one publish only to its own state/status topics and subscribe only to its
 * own cmd topic, and hands accepted payloads to ingest.
 */
export type RefusedPacketKind = 'connect' | 'subscribe'

export interface BrokerOptions {
  fleet: Fleet
  ingest: Ingest
  /** when a QoS 1 reading may be acknowledged (docs/reliability.md) */
  gate: AckGate
  log: Logger
  /** messages a second one device may send before it is throttled (0 = unlimited) */
  maxMessagesPerSecond: number
  /** how many refusals are logged and recorded per device and per client address (docs/reliability.md) */
  refusalBudget?: RefusalBudgetOptions
  /** refused SUBSCRIBE topics one connection may send before it is disconnected */
  maxRefusedSubscriptions?: number
  /** every refusal of a CONNECT or SUBSCRIBE, whether it was recorded (logged) or only counted */
  onRefusal?: (packet: RefusedPacketKind, recorded: boolean) => void
}

export async function createMqttBroker(opts: BrokerOptions): Promise<MqttBroker> {
  const { fleet, ingest, gate, log } = opts
  const sessions = new DeviceSessions()
  const wills = new Wills(sessions, log)
  const throttle = new PublishThrottle({ maxMessagesPerSecond: opts.maxMessagesPerSecond, ingest, log })
  const ingestAndAck = new IngestAndAcknowledge({ ingest, gate, log })
  const refusals = new RefusalBudget(opts.refusalBudget ?? DEFAULT_REFUSAL_BUDGET)
  const refusedSubs = new WeakMap<Client, number>()
  const maxRefusedSubs = opts.maxRefusedSubscriptions ?? 20
  let connected = 0
  /** connection errors (resets, timeouts, garbage) are logged at debug level, bounded per address too */
  const debugBudget = new RefusalBudget(opts.refusalBudget ?? DEFAULT_REFUSAL_BUDGET)
  const debugWanted = (client: Client) => log.isLevelEnabled('debug') && debugBudget.take([`address:${addressOf(client)}`], Date.now()) !== 'count'

  /**
   * Whether to write this refusal down (log line, reject row), charged to the device when the
   * client names one, else to the client's address (the devices of a station often share one
   * address: one misbehaving device must not silence the others' refusals); said once when a
   * bound is reached. Either way it counts against the bound over all clients.
   */
  const record = (packet: RefusedPacketKind, client: Client, device: string | undefined): boolean => {
    const address = addressOf(client)
    const verdict = refusals.take([device ? `device:${device}` : `address:${address}`], Date.now())
    opts.onRefusal?.(packet, verdict === 'record')
    if (verdict === 'bound-reached') {
      log.warn({ device: device ?? null, remote: address, packet, perKey: (opts.refusalBudget ?? DEFAULT_REFUSAL_BUDGET).perKey }, 'too many refused mqtt packets: further refusals are only counted (stationwatch_mqtt_refusals_total) for a while')
    }
    return verdict === 'record'
  }

  const aedes = await Aedes.createBroker({
    // aedes checks this for MQTT 3.1 only; for 3.1.1 the client id rule below bounds the id.
    maxClientsIdLength: 128,
    connectTimeout: 10_000,
    drainTimeout: 10_000,
    // Devices publish with QoS 1; a QoS 2 publish is kept by aedes until its PUBREL (in the
    // session, for clean=false), so few may wait at once (aedes' default is 1,000 per client).
    maxInflightInbound: 16,

    authenticate(client, username, password, done) {
      const found = username ? fleet.device(username) : undefined
      const ok = found !== undefined && password !== undefined && verifySecret(found.device.secretHash, password.toString('utf8'))
      if (!ok) {
        // An unknown username is not logged: a misconfigured device may have put its secret there.
        if (record('connect', client, found ? username : undefined)) {
          log.warn({ device: found ? username : null, ...(username && !found ? { unknownDevice: true } : {}), clientId: cut(client.id), remote: addressOf(client) }, 'mqtt connect refused: bad credentials')
        }
        const err = Object.assign(new Error('bad username or password'), { returnCode: username ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED })
        return done(err, false)
      }
      // Refused here, before aedes registers the client: a session with this id is left alone.
      const id = checkClientId(client.id, username!, client.clean, (other) => fleet.device(other) !== undefined)
      if (!id.ok) {
        if (record('connect', client, username)) {
          ingest.refuse(username!, cut(client.id), 'acl', `connect refused: ${id.reason} (client id ${cut(client.id)})`)
          log.warn({ device: username, clientId: cut(client.id), clean: client.clean, remote: addressOf(client), reason: id.reason }, 'mqtt connect refused: client id')
        } else ingest.countRefusal('acl')
        const err = Object.assign(new Error('identifier rejected'), { returnCode: IDENTIFIER_REJECTED })
        return done(err, false)
      }
      sessions.authenticated(client, username!)
      done(null, true)
    },

    /** The steps of a publish, in order: a will, the rate limit, the ACL, then ingest and the durable PUBACK. */
    authorizePublish(client, packet, callback) {
      const deviceId = client ? sessions.device(client) : undefined
      if (!client || !deviceId) return callback(new Error('not a device'))
      // Disabled or removed while connected (contract v2 §E): its connection is being cut, and
      // what it still sends (its will included) is no longer anybody's.
      if (!fleet.device(deviceId)) return callback(new Error('device no longer configured'))
      if (client.closed) {
        const refused = wills.refusal(client, deviceId)
        if (refused) return callback(refused)
      } else {
        const verdict = throttle.check(deviceId, packet.topic)
        if (verdict === 'disconnect') return callback(new Error('flooding'))
        if (verdict === 'drop') {
          // Dropped, so never acknowledged (contract v2 A3): the device keeps a QoS 1 message and
          // sends it again. An error here would close the connection, and a plain accept makes aedes
          // write the PUBACK before the publish is handed on (aedes lib/handlers/publish.js). Handled
          // as QoS 0 instead, it is passed on without a PUBACK and goes no further than
          // consumeDevicePublishes; the connection reads on.
          packet.qos = 0
          return callback(null)
        }
      }
      const topic = ownPublishTopic(fleet, deviceId, packet.topic)
      if (!topic) {
        // Publishing elsewhere is a misbehaving or compromised device: drop and disconnect (contract §3).
        // Each costs the device its connection (and a new CONNECT), so these need no budget.
        ingest.refuse(deviceId, cut(packet.topic), 'acl', `not allowed to publish to ${cut(packet.topic)}`)
        log.warn({ device: deviceId, topic: cut(packet.topic) }, 'mqtt publish refused: not the device’s own topic')
        return callback(new Error('publish not authorized'))
      }
      ingestAndAck.publish(deviceId, topic.kind, packet, callback)
    },

    authorizeSubscribe(client, sub, callback) {
      const deviceId = sessions.device(client)
      if (!maySubscribe(fleet, deviceId, sub.topic)) {
        if (record('subscribe', client, deviceId)) {
          log.warn({ device: deviceId ?? null, topic: cut(sub.topic), remote: addressOf(client) }, 'mqtt subscribe refused: only the device’s own cmd topic')
          if (deviceId) ingest.refuse(deviceId, cut(sub.topic), 'acl', `not allowed to subscribe to ${cut(sub.topic)}`)
        } else ingest.countRefusal('acl')
        // A device that keeps asking for what it may not have is misbehaving: cut it off.
        const n = (refusedSubs.get(client) ?? 0) + 1
        refusedSubs.set(client, n)
        if (n > maxRefusedSubs) {
          if (n === maxRefusedSubs + 1) log.warn({ device: deviceId ?? null, refused: n }, 'device kept sending refused subscriptions: disconnected')
          return callback(new Error('too many refused subscriptions'), null)
        }
        return callback(null, null)
      }
      callback(null, { ...sub, qos: Math.min(sub.qos, 1) as Subscription['qos'] })
    },

    authorizeForward(client, packet) {
      return mayReceive(sessions.device(client), packet.topic) ? packet : null
    },
  })

  consumeDevicePublishes(aedes, (client) => sessions.isDevice(client))

  aedes.on('client', () => connected++)
  aedes.on('clientDisconnect', (client) => {
    connected--
    const gone = sessions.closed(client)
    if (gone) throttle.forget(gone)
  })
  aedes.on('clientError', (client, err) => {
    const deviceId = sessions.device(client)
    // aedes itself refuses a PUBLISH to an empty topic or one with wildcards, and closes the
    // connection before our hook sees it: it is still a refused publish, counted and logged.
    if (deviceId && /PUBLISH|topic has too many levels/.test(err.message)) {
      ingest.refuse(deviceId, '(invalid topic)', 'acl', `publish refused by the broker: ${cut(err.message)}`)
      log.warn({ device: deviceId, err: cut(err.message) }, 'mqtt publish refused: invalid topic')
      return
    }
    // A refused CONNECT (errorCode = its return code) was logged, within its budget, when refused.
    if ((err as { errorCode?: number }).errorCode !== undefined) return
    if (debugWanted(client)) log.debug({ clientId: cut(client.id), device: deviceId ?? null, err: cut(err.message) }, 'mqtt client error')
  })
  aedes.on('connectionError', (client, err) => {
    if (debugWanted(client)) log.debug({ clientId: cut(client.id), remote: addressOf(client), err: cut(err.message) }, 'mqtt connection error')
  })

  const server = createServer(aedes.handle)
  return {
    aedes,
    server,
    connectedDevices: () => connected,
    disconnectDevice(device) {
      let closed = 0
      // aedes keeps its registered clients by client id (not in its types); a device's newest
      // connection may be authenticated and not yet registered.
      const registered = Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)
      const newest = sessions.newestOf(device)
      for (const client of new Set(newest ? [...registered, newest] : registered)) {
        if (sessions.device(client) !== device || client.closed) continue
        client.close()
        closed++
      }
      return closed
    },
    close: () =>
      new Promise<void>((resolve) => {
        wills.brokerClosing()
        server.close()
        aedes.close(() => resolve())
      }),
  }
}

/** The client's address: from the packet-size guard (TCP, TLS) or the upgrade request (`/mqtt`). */
function addressOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string } | undefined
  const req = client.req as { socket?: { remoteAddress?: string } } | undefined
  return conn?.remoteAddress ?? req?.socket?.remoteAddress ?? 'unknown'
}

/**
 * A device's publish ends with ingest: aedes does not route it on. The only subscriptions a
 * device may hold are to its own cmd topic, which no device may publish to, so routing a reading
 * would match nobody — yet it cost aedes a persistence lookup, an emitter match and a copy of the
 * packet for every message. Nor does aedes keep a retained status: the service keeps each
 * device's last status itself, and aedes' memory store scans every retained message on every
 * SUBSCRIBE (10,000 devices connected quadratically slowly). And a message the rate limiter
 * dropped (accepted without error, before its topic was checked) can never reach another device.
 * Wills take the same path: ingest has them once authorizePublish has run. Publishes of the
 * broker itself (`$SYS`) and any without a device client are routed as before.
 */
function consumeDevicePublishes(aedes: Aedes, isDevice: (client: Client) => boolean): void {
  const route = aedes.publish.bind(aedes) as (packet: PublishPacket, client?: unknown, done?: unknown) => void
  const publish = (packet: PublishPacket, client?: unknown, done?: unknown): void => {
    if (typeof client === 'object' && client !== null && isDevice(client as Client)) {
      // Called once the PUBACK is written (QoS 1) or straight from the handler (QoS 0): aedes then
      // reads the connection's next packets, as it would after routing.
      if (typeof done === 'function') (done as () => void)()
      return
    }
    route(packet, client, done)
  }
  aedes.publish = publish
}
