import type { Logger } from 'pino'
import type { Ingest } from '../../ingest/ingest.ts'
import { DeviceRateLimiter } from './rate-limiter.ts'

/**
 * The rate-limit step of a publish: `ok`, `drop` (refused, recorded at most once a second per
 * device, otherwise only counted), or `disconnect` for a device that kept flooding.
 */
export class PublishThrottle {
  private readonly limiter: DeviceRateLimiter

  constructor(private readonly o: { maxMessagesPerSecond: number; ingest: Ingest; log: Logger }) {
    this.limiter = new DeviceRateLimiter(o.maxMessagesPerSecond)
  }

  check(device: string, topic: string): 'ok' | 'drop' | 'disconnect' {
    const { ingest, log, maxMessagesPerSecond } = this.o
    const verdict = this.limiter.take(device, Date.now())
    if (verdict === 'ok') return verdict
    const dropped = this.limiter.shouldReport(device, Date.now())
    if (dropped !== undefined) {
      ingest.refuse(device, topic, 'rate-limited', `rate limited: more than ${maxMessagesPerSecond} messages/s (${dropped} dropped in the last second)`)
      log.warn({ device, limit: maxMessagesPerSecond }, 'device is flooding: messages dropped')
    } else ingest.countRefusal('rate-limited')
    if (verdict === 'disconnect') log.warn({ device }, 'device kept flooding: disconnected')
    return verdict
  }

  /** The device's last connection closed: it starts afresh. */
  forget(device: string): void {
    this.limiter.forget(device)
  }
}
