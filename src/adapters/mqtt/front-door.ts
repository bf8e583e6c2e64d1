import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import type { Logger } from 'pino'
import { createWebSocketStream, WebSocketServer } from 'ws'
import { closeServer, listen } from '../../edge/listen.ts'
import { offersMqttSubprotocol, refuseUpgrade } from '../../edge/upgrade-refusal.ts'
import type { Part } from '../../lifecycle.ts'
import type { IngestSource } from '../../ports.ts'
import { createMqttBroker, type BrokerOptions, type MqttBroker } from './broker.ts'
import { guardMqttConnection, guardMqttServer, type RefusedPacket } from './packet-size-guard.ts'
import { RefusalBudget } from './refusal-budget.ts'

export interface MqttFrontDoorOptions extends BrokerOptions {
  host: string
  port: number
  /** MQTT over TLS beside plain MQTT, when a certificate is configured */
  tls?: { cert: Buffer | string; key: Buffer | string; port: number }
  /** MQTT_MAX_PACKET_BYTES: a packet declaring more is refused at its header, before it is buffered */
  maxPacketBytes: number
  /** every connection closed for an oversized packet */
  onOversized?: (refused: RefusedPacket) => void
  log: Logger
}

/**
 * Where devices come in: the embedded aedes broker on MQTT (TCP), MQTT over TLS and MQTT over
 * WebSocket (`/mqtt` on the HTTP port). An ingest source: it authenticates devices, hands their
 * messages to ingest and acknowledges them once stored (broker.ts).
 */
export class MqttFrontDoor implements Part, IngestSource {
  readonly name = 'mqtt'
  readonly kind = 'mqtt'
  private broker: MqttBroker | undefined
  private tlsServer: TlsServer | undefined
  private readonly overWs: WebSocketServer
  private readonly guardLog = new RefusalBudget()
  private bound: { mqttPort: number; mqttsPort?: number } | undefined

  constructor(private readonly opts: MqttFrontDoorOptions) {
    // A WebSocket message is buffered whole by ws, so its size is capped too (a few packets' worth).
    this.overWs = new WebSocketServer({ noServer: true, maxPayload: 4 * opts.maxPacketBytes })
  }

  async start(): Promise<void> {
    const { opts } = this
    const broker = (this.broker = await createMqttBroker(opts))
    const guard = this.packetGuard()
    // aedes buffers a packet whole before looking at it: refuse oversized ones at their header.
    guardMqttServer(broker.server, broker.aedes.handle, guard)
    const mqttPort = await listen(broker.server, opts.port, opts.host, 'MQTT_PORT')
    if (opts.tls) {
      const tls = (this.tlsServer = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: 10_000 }, broker.aedes.handle))
      guardMqttServer(tls, broker.aedes.handle, guard)
      // Before the handshake completes, a TLS socket's errors are reported here, not on the socket.
      tls.on('tlsClientError', (err) => opts.log.debug({ err: err.message.slice(0, 128) }, 'mqtts handshake failed'))
      this.bound = { mqttPort, mqttsPort: await listen(tls, opts.tls.port, opts.host, 'MQTTS_PORT') }
    } else this.bound = { mqttPort }
    this.overWs.on('connection', (socket, req: IncomingMessage) => {
      // A protocol error (a frame over maxPayload) cuts the connection rather than reading on through a close handshake.
      socket.once('error', () => socket.terminate())
      // The stream re-emits the socket's errors (a reset mid-frame): handled here, whatever aedes does.
      const stream = createWebSocketStream(socket)
      stream.on('error', () => stream.destroy())
      broker.aedes.handle(guardMqttConnection(stream, { ...guard, transport: 'ws', ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}) }), req)
    })
  }

  async stop(): Promise<void> {
    this.overWs.close()
    if (this.tlsServer) await closeServer(this.tlsServer)
    await this.broker?.close()
  }

  /** `/mqtt` on the HTTP port: only MQTT clients (they offer the `mqtt` subprotocol) are taken. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.broker) return refuseUpgrade(socket, 503, 'STARTING', 'the service is starting')
    if (!offersMqttSubprotocol(req)) return refuseUpgrade(socket, 400, 'BAD_REQUEST', '/mqtt carries only MQTT: offer the "mqtt" WebSocket subprotocol')
    this.overWs.handleUpgrade(req, socket, head, (ws) => this.overWs.emit('connection', ws, req))
  }

  ports(): { mqttPort: number; mqttsPort?: number } {
    if (!this.bound) throw new Error('the MQTT front door has not started')
    return this.bound
  }

  connectedDevices(): number {
    return this.broker?.connectedDevices() ?? 0
  }

  /**
   * Cuts a device off now (contract v2 §E: disabled, or its secret rotated): its connections are
   * closed; the broker looks each new CONNECT up in the fleet, so what comes after is refused.
   */
  disconnectDevice(device: string): number {
    return this.broker?.disconnectDevice(device) ?? 0
  }

  /** aedes' own client events (for the connected-devices gauge). */
  onClientsChanged(listener: () => void): void {
    if (!this.broker) throw new Error('the MQTT front door has not started')
    this.broker.aedes.on('client', listener)
    this.broker.aedes.on('clientDisconnect', listener)
  }

  private packetGuard() {
    return {
      maxPacketBytes: this.opts.maxPacketBytes,
      onRefused: (r: RefusedPacket) => {
        this.opts.onOversized?.(r)
        // One log line per refusal, bounded per client address like every refused packet.
        if (this.guardLog.take([`address:${r.remoteAddress}`], Date.now()) !== 'count') {
          this.opts.log.warn({ device: r.username ?? null, clientId: r.clientId ?? null, remote: r.remoteAddress, transport: r.transport, packetType: r.packetType, declared: r.declared, limit: r.limit }, 'mqtt packet over the size limit: connection closed')
        }
      },
    }
  }
}
