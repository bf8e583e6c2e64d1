import { connect, type MqttClient } from 'mqtt'
import type { Counters, ErrorTally } from './counters.ts'
import type { Limiter } from './limiter.ts'
import { Rng } from './prng.ts'

export type DeviceType = 'door' | 'keybox' | 'equipment'

/** What a device reports in its state messages (contract §3), without `ts`/`seq`. */
export type DeviceReading =
  | { type: 'door'; /** true = door open */ open: boolean }
  | { type: 'keybox'; /** slot → key in it, null = empty */ slots: Record<string, string | null>; user?: string }
  | { type: 'equipment'; /** true/false = present/absent, integer = count on the shelf */ items: Record<string, boolean | number> }

export type ConnectResult = 'up' | 'refused' | 'failed'
/** acked: PUBACK came back; closed: the broker closed the connection instead; offline: not sent. */
export type PublishOutcome = 'acked' | 'closed' | 'timeout' | 'offline' | 'error'
type SentAs = 'state' | 'status' | 'malformed'

/** What all devices of a run share: where to connect, and where to count. */
export interface DeviceNetwork {
  url: string
  counters: Counters
  errors: ErrorTally
  connectLimiter: Limiter
  connectTimeoutMs: number
  publishTimeoutMs: number
}

const FIRMWARE: Record<DeviceType, string> = { door: '1.0.3', keybox: '2.1.0', equipment: '1.4.2' }
const OFFLINE_WILL = Buffer.from('{"online":false}')
const MAX_BACKOFF_MS = 30_000

/**
 * One simulated device: one MQTT 3.1.1 connection with its own credentials and
 * will, its `seq` counter and device clock, and its current reading. Kept small
 * (a 10,000-device run holds 10,000 of these).
 */
export class SimDevice {
  readonly stateTopic: string
  readonly statusTopic: string
  /** `seq` of the next state message */
  seq = 0
  /** last well-formed state message, for the bad-firmware duplicate and out-of-order messages */
  lastGood: { seq: number; ts: number } | undefined
  /** percent; undefined = mains powered, not reported */
  battery: number | undefined
  tamper = false
  private lastTs = 0
  private readonly rssiBase: number
  private readonly rng: Rng
  private client: MqttClient | undefined
  private up = false
  /** the scenario keeps the device off the network: no automatic reconnect */
  private held = false
  private stopped = false
  private refused = false
  private reconnectTimer: NodeJS.Timeout | undefined
  private failedAttempts = 0

  constructor(
    readonly id: string,
    readonly stationId: string,
    readonly reading: DeviceReading,
    private readonly secret: string,
    private readonly net: DeviceNetwork,
    seed: number,
  ) {
    this.stateTopic = `stations/${stationId}/devices/${id}/state`
    this.statusTopic = `stations/${stationId}/devices/${id}/status`
    this.rng = new Rng(seed)
    this.rssiBase = this.rng.int(-82, -48)
    // The key box runs on mains power; door contacts and shelf readers on batteries.
    this.battery = reading.type === 'keybox' ? undefined : this.rng.int(62, 100)
  }

  get type(): DeviceType {
    return this.reading.type
  }

  get isUp(): boolean {
    return this.up
  }

  /** First connection. A device that cannot reach the broker keeps retrying in the background. */
  async start(): Promise<ConnectResult> {
    const result = await this.connect()
    if (result === 'failed') this.scheduleReconnect()
    return result
  }

  /** Connects again after a drop; the caller then has it `announce()`. */
  reconnect(): Promise<ConnectResult> {
    this.held = false
    return this.connect()
  }

  /** What a device sends after (re)connecting: its status, then its whole reading. */
  async announce(): Promise<void> {
    await this.publishStatus()
    await this.publishState()
  }

  /**
   * Drops off the network without DISCONNECT (power cut, cable pulled): the
   * broker sees the socket close and publishes this device's will.
   */
  async dropUncleanly(): Promise<void> {
    this.held = true
    clearTimeout(this.reconnectTimer)
    const client = this.client
    if (!client || !this.up) return
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.stream.destroy()
    await closed
  }

  /** Leaves cleanly (DISCONNECT, so no will). */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.reconnectTimer)
    const client = this.client
    if (!client) return
    if (this.up) await Promise.race([client.endAsync(), delay(2000)]).catch(() => undefined)
    client.end(true)
  }

  publishStatus(): Promise<PublishOutcome> {
    const status: Record<string, unknown> = { online: true }
    if (this.battery !== undefined) status.battery = this.battery
    status.rssi = this.rssiBase + this.rng.int(-3, 3)
    status.fw = FIRMWARE[this.type]
    status.tamper = this.tamper
    return this.send(this.statusTopic, JSON.stringify(status), true, 'status')
  }

  /** Sends `fields` (default: the whole reading) as the next state message. */
  publishState(fields: Record<string, unknown> = readingFields(this.reading)): Promise<PublishOutcome> {
    const header = { ts: this.nextTs(), seq: this.seq++ }
    this.lastGood = header
    return this.send(this.stateTopic, JSON.stringify({ ...header, ...fields }), false, 'state')
  }

  /** Sends bytes as they are, to any topic: for firmware that gets the contract wrong. */
  publishMalformed(topic: string, payload: string): Promise<PublishOutcome> {
    return this.send(topic, payload, false, 'malformed')
  }

  /** The device clock: wall time, but never repeating or going back within one run. */
  nextTs(): number {
    this.lastTs = Math.max(Date.now(), this.lastTs + 1)
    return this.lastTs
  }

  /** Lets the broker close the connection without the device reconnecting on its own. */
  holdReconnects(held: boolean): void {
    this.held = held
  }

  private connect(): Promise<ConnectResult> {
    if (this.stopped || this.refused) return Promise.resolve(this.refused ? 'refused' : 'failed')
    return this.net.connectLimiter.run(() => this.connectOnce())
  }

  private connectOnce(): Promise<ConnectResult> {
    // The run may have stopped while this device waited for a connect slot.
    if (this.stopped) return Promise.resolve('failed')
    const { counters, errors } = this.net
    this.client?.removeAllListeners()
    this.client?.end(true)
    return new Promise((resolve) => {
      let settled = false
      let lastError = 'connection closed before CONNACK'
      const settle = (r: ConnectResult): void => {
        if (!settled) (settled = true), resolve(r)
      }
      const client = connect(this.net.url, {
        protocolVersion: 4,
        clientId: this.id,
        username: this.id,
        password: this.secret,
        clean: true,
        keepalive: 60,
        reconnectPeriod: 0, // reconnects are ours: planned ones follow the scenario
        connectTimeout: this.net.connectTimeoutMs,
        resubscribe: false,
        will: { topic: this.statusTopic, payload: OFFLINE_WILL, qos: 1, retain: true },
      })
      this.client = client
      client.on('connect', () => {
        if (this.stopped) {
          client.end(true)
          return settle('failed')
        }
        this.up = true
        this.failedAttempts = 0
        counters.connected++
        counters.connects++
        // The cmd topic is the only one a device may subscribe to (contract §3).
        client.subscribe(`stations/${this.stationId}/devices/${this.id}/cmd`, { qos: 1 }, (err, granted) => {
          if (err || granted?.some((g) => g.qos === 128)) counters.subscribeRefused++
        })
        settle('up')
      })
      client.on('error', (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'number' && err.code >= 1 && err.code <= 5) {
          this.refused = true
          counters.connectRefused++
          errors.add(`${this.id.replace(/^[^-]*-/, '*-')}: connect refused (return code ${err.code})`)
          settle('refused')
        } else {
          lastError = err.message
        }
      })
      client.on('close', () => {
        if (client !== this.client) return
        if (this.up) {
          this.up = false
          counters.connected--
          if (!this.held && !this.stopped) {
            counters.unplannedDisconnects++
            this.scheduleReconnect()
          }
        } else if (!settled) {
          counters.connectFailed++
          errors.add(`connect failed: ${lastError}`)
          settle('failed')
        }
      })
    })
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.held || this.refused) return
    this.failedAttempts++
    // Jittered exponential back-off, so a broker restart is not met by all devices in the same millisecond.
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failedAttempts - 1, 5)) * (0.5 + Math.random())
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => void this.retryConnect(), backoff)
  }

  private async retryConnect(): Promise<void> {
    if (this.stopped || this.held) return
    const result = await this.connect()
    if (result === 'up') await this.announce()
    else if (result === 'failed') this.scheduleReconnect()
  }

  private send(topic: string, payload: string, retain: boolean, as: SentAs): Promise<PublishOutcome> {
    const { counters } = this.net
    if (as === 'malformed') counters.malformedSent++
    const client = this.client
    if (!client || !this.up) {
      counters.skippedOffline++
      return Promise.resolve('offline')
    }
    return new Promise<PublishOutcome>((resolve) => {
      let done = false
      const finish = (outcome: PublishOutcome): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        client.off('close', onClose)
        if (outcome === 'acked') {
          counters.sent++
          if (as === 'state') counters.stateSent++
          else if (as === 'status') counters.statusSent++
        } else if (outcome === 'closed') counters.rejectedByBroker++
        else if (outcome === 'timeout') counters.publishTimeouts++
        resolve(outcome)
      }
      const onClose = (): void => finish('closed')
      const timer = setTimeout(() => finish('timeout'), this.net.publishTimeoutMs)
      client.once('close', onClose)
      client.publish(topic, payload, { qos: 1, retain }, (err) => finish(err ? (this.up ? 'error' : 'closed') : 'acked'))
    })
  }
}

/** The reading as state-message fields. */
export function readingFields(reading: DeviceReading): Record<string, unknown> {
  switch (reading.type) {
    case 'door':
      return { open: reading.open }
    case 'keybox':
      return reading.user === undefined ? { slots: { ...reading.slots } } : { slots: { ...reading.slots }, user: reading.user }
    case 'equipment':
      return { items: { ...reading.items } }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
