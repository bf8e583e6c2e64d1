import type { PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import type { Ingest } from '../../ingest/ingest.ts'
import { DurableAcks, type AckGate } from './durable-acks.ts'

/**
 * The last step of a publish: hand it to ingest, then let it go on (and, for QoS 1, be
 * acknowledged) only once what it wrote is durable.
 *
 * Acknowledged means durable: the PUBACK goes out after the group commit that holds this
 * reading — also for a duplicate, whose original may still be waiting for that commit. A reading
 * the store dropped instead (a full InfluxDB spool) is passed on as QoS 0: no PUBACK, the device
 * sends it again, and ingest forgets it so that the copy is not a duplicate.
 */
export class IngestAndAcknowledge {
  private readonly acks: DurableAcks

  constructor(private readonly o: { ingest: Ingest; gate: AckGate; log: Logger }) {
    this.acks = new DurableAcks(o.gate)
  }

  publish(device: string, kind: 'state' | 'status', packet: PublishPacket, done: (err: Error | null) => void): void {
    const { ingest, gate, log } = this.o
    const from = gate.position()
    const outcome = ingest.handle(device, kind, packet.topic, packet.payload as Buffer)
    if (!outcome.ok) log.info({ device, topic: packet.topic, reason: outcome.reason }, 'reading rejected')
    if (packet.qos === 0) return done(null)
    this.acks.add(from, gate.position(), (err, kept) => {
      if (!err && !kept) {
        packet.qos = 0
        if (outcome.ok && outcome.seq !== undefined) ingest.forget(device, outcome.seq, outcome.ts!)
      }
      done(err)
    })
  }
}
