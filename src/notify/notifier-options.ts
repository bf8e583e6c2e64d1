import type { Clock, Timers } from '../ports.ts'
import type { QueueLimits } from './channel-queue.ts'
import type { ChannelType, NotifyConfig } from './config.ts'
import type { Delivery, DeliveryLog, DeliveryStatus, NotifierChannel } from './ports.ts'
import type { NotifyAlert, StationInfo } from './render.ts'

export interface NotifierLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface NotifierOptions {
  config: NotifyConfig
  /** one adapter per configured channel name */
  channels: Map<string, NotifierChannel>
  clock: Clock
  timers: Timers
  deliveries: DeliveryLog
  /** name and time zone of a station; unknown stations are named by id, in UTC */
  station(id: string): StationInfo | undefined
  log: NotifierLog
  /** who took the key of the door an alert is about, when known */
  keyHolder?(alert: NotifyAlert): string | undefined
  /**
   * The alert as the alert store has it now; at start, a restored plan whose alert is no longer
   * active (changed while the notifier was not running) is dropped instead of sent.
   */
  currentAlert?(id: string): Promise<{ state: NotifyAlert['state'] } | undefined>
  /** called for every row added to the delivery log (metrics, live push) */
  onDelivery?(d: Delivery): void
  limits?: Partial<NotifierLimits>
  /**
   * Cluster mode: whether this instance owns a station now. Only the owner's notifier sends for a
   * station's alerts; `adopt` and `release` follow ownership. Default: every station.
   */
  owns?(station: string): boolean
  /**
   * Cluster mode: how long `adopt` waits before sending what the previous owner had queued but not
   * recorded as sent. Longer than a send can take (the channels' timeout: SMS is a connect and a
   * read timeout of 10 s each) plus the commit of its record, so that a request still in flight on
   * the releasing instance is recorded before the adopter looks. Default 25 s.
   */
  handOverSettleMs?: number
}

export interface NotifierLimits extends QueueLimits {
  /** a station that opens more than this many alerts within stormWindowMs is in a storm */
  stormAlerts: number
  stormWindowMs: number
}

export const DEFAULT_LIMITS: NotifierLimits = {
  perMinute: 20,
  gatherMs: 5_000,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  attempts: 6,
  maxJobs: 1_000,
  stormAlerts: 5,
  stormWindowMs: 60_000,
}

/** A row of GET /api/alerts/:id/notifications. */
export interface NotificationRow { at: number; step: number; channel: string; to?: string; status: DeliveryStatus; error?: string }
/** GET /api/notify/status: per channel. */
export interface ChannelStatus { type: ChannelType; lastSuccessAt?: number; lastError?: { at: number; message: string }; queued: number }
