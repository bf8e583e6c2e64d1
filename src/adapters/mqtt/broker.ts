import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes'
import { createServer, type Server } from 'node:net'
import type { Logger } from 'pino'
import { verifySecret } from '../../auth/secret-hash.ts'
import type { Fleet } from '../../domain/fleet.ts'
import type { Ingest } from '../../ingest/ingest.ts'
import { deviceTopic, parseDeviceTopic } from '../../ingest/topics.ts'
import { DurableAcks } from './durable-acks.ts'
import { DeviceRateLimiter } from './rate-limiter.ts'

// AuthErrorCode is a type-only const enum in aedes' types.
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

export interface MqttBroker {
  aedes: Aedes
  server: Server
  connectedDevices(): number
  close(): Promise<void>
}

/**
 * The embedded broker: authenticates devices against their station file, lets
 * each one publish only to its own state/status topics and subscribe only to its
 * own cmd topic, and hands accepted payloads to ingest.
 */
export interface BrokerOptions {
  /** messages a second one device may send before it is throttled (0 = unlimited) */
  maxMessagesPerSecond: number
}

export async function createMqttBroker(fleet: Fleet, ingest: Ingest, durable: () => Promise<void>, log: Logger, opts: BrokerOptions = { maxMessagesPerSecond: 50 }): Promise<MqttBroker> {
  const deviceOf = new WeakMap<Client, string>()
  /** the newest authenticated connection of each device */
  const current = new Map<string, Client>()
  const limiter = new DeviceRateLimiter(opts.maxMessagesPerSecond)
  const acks = new DurableAcks(durable)
  let connected = 0
  let shuttingDown = false

  const aedes = await Aedes.createBroker({
    // Device ids are up to 63 characters; client ids are free-form but bounded.
    maxClientsIdLength: 128,
    connectTimeout: 10_000,
    drainTimeout: 10_000,

    authenticate(client, username, password, done) {
      const found = username ? fleet.device(username) : undefined
      const ok = found !== undefined && password !== undefined && verifySecret(found.device.secretHash, password.toString('utf8'))
      if (!ok) {
        // An unknown username is not logged: a misconfigured device may have put its secret there.
        log.warn({ device: found ? username : null, ...(username && !found ? { unknownDevice: true } : {}), clientId: client.id }, 'mqtt connect refused: bad credentials')
        const err = Object.assign(new Error('bad username or password'), { returnCode: username ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED })
        return done(err as Parameters<typeof done>[0], false)
      }
      deviceOf.set(client, username!)
      current.set(username!, client)
      done(null, true)
    },

    authorizePublish(client, packet, callback) {
      const deviceId = client ? deviceOf.get(client) : undefined
      if (!client || !deviceId) return callback(new Error('not a device'))
      // A closing client only publishes its will. An old session's will that arrives after
      // the device has already reconnected must not mark the live device offline, nor must
      // the wills of every device we disconnect ourselves while shutting down.
      if (client.closed) {
        if (shuttingDown) return callback(new Error('broker shutting down'))
        const newest = current.get(deviceId)
        if (newest && newest !== client && !newest.closed) {
          log.info({ device: deviceId, clientId: client.id }, 'ignoring the will of a superseded session')
          return callback(new Error('superseded will'))
        }
      } else {
        const verdict = limiter.take(deviceId, Date.now())
        if (verdict !== 'ok') {
          const dropped = limiter.shouldReport(deviceId, Date.now())
          if (dropped !== undefined) {
            ingest.refuse(deviceId, packet.topic, 'rate-limited', `rate limited: more than ${opts.maxMessagesPerSecond} messages/s (${dropped} dropped in the last second)`)
            log.warn({ device: deviceId, limit: opts.maxMessagesPerSecond }, 'device is flooding: messages dropped')
          } else ingest.countRefusal('rate-limited')
          if (verdict === 'disconnect') {
            log.warn({ device: deviceId }, 'device kept flooding: disconnected')
            return callback(new Error('flooding'))
          }
          // Accepted, so the device is not cut off at once; it goes no further (consumeDevicePublishes).
          return callback(null)
        }
      }
      const topic = parseDeviceTopic(packet.topic)
      const own = fleet.device(deviceId)!
      if (!topic || topic.device !== deviceId || topic.station !== own.station.model.id || topic.kind === 'cmd') {
        // Publishing elsewhere is a misbehaving or compromised device: drop and disconnect (contract §3).
        ingest.refuse(deviceId, packet.topic, 'acl', `not allowed to publish to ${packet.topic}`)
        log.warn({ device: deviceId, topic: packet.topic }, 'mqtt publish refused: not the device’s own topic')
        return callback(new Error('publish not authorized'))
      }
      const outcome = ingest.handle(deviceId, topic.kind, packet.topic, packet.payload as Buffer)
      if (!outcome.ok) log.info({ device: deviceId, topic: packet.topic, reason: outcome.reason }, 'reading rejected')
      // Acknowledged means durable: the PUBACK goes out after the group commit that holds this
      // reading — also for a duplicate, whose original may still be waiting for that commit.
      if (packet.qos > 0) acks.add(callback)
      else callback(null)
    },

    authorizeSubscribe(client, sub, callback) {
      const deviceId = deviceOf.get(client)
      const own = deviceId ? fleet.device(deviceId) : undefined
      if (!deviceId || !own || sub.topic !== deviceTopic(own.station.model.id, deviceId, 'cmd')) {
        log.warn({ device: deviceId ?? null, topic: sub.topic }, 'mqtt subscribe refused: only the device’s own cmd topic')
        if (deviceId) ingest.refuse(deviceId, sub.topic, 'acl', `not allowed to subscribe to ${sub.topic}`)
        return callback(null, null)
      }
      callback(null, { ...sub, qos: Math.min(sub.qos, 1) as Subscription['qos'] })
    },

    // Devices never receive each other's readings: only cmd is ever delivered.
    authorizeForward(client, packet) {
      const deviceId = deviceOf.get(client)
      return deviceId && packet.topic.endsWith(`/devices/${deviceId}/cmd`) ? packet : null
    },
  })

  consumeDevicePublishes(aedes, (client) => deviceOf.has(client))

  aedes.on('client', () => connected++)
  aedes.on('clientDisconnect', (client) => {
    connected--
    const deviceId = deviceOf.get(client)
    if (deviceId && current.get(deviceId) === client) {
      current.delete(deviceId)
      limiter.forget(deviceId)
    }
  })
  aedes.on('clientError', (client, err) => {
    const deviceId = deviceOf.get(client)
    // aedes itself refuses a PUBLISH to an empty topic or one with wildcards, and closes the
    // connection before our hook sees it: it is still a refused publish, counted and logged.
    if (deviceId && /PUBLISH|topic has too many levels/.test(err.message)) {
      ingest.refuse(deviceId, '(invalid topic)', 'acl', `publish refused by the broker: ${err.message}`)
      log.warn({ device: deviceId, err: err.message }, 'mqtt publish refused: invalid topic')
      return
    }
    log.debug({ clientId: client.id, device: deviceId ?? null, err: err.message }, 'mqtt client error')
  })
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'))

  const server = createServer(aedes.handle)
  return {
    aedes,
    server,
    connectedDevices: () => connected,
    close: () =>
      new Promise<void>((resolve) => {
        shuttingDown = true
        server.close()
        aedes.close(() => resolve())
      }),
  }
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
  aedes.publish = publish as Aedes['publish']
}
