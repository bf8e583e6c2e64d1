import type { Fleet } from '../../domain/fleet.ts'
import { deviceTopic, parseDeviceTopic } from '../../ingest/topics.ts'

/**
 * What a device may do on the broker (contract §3): publish only to its own state and status
 * topics, subscribe only to its own cmd topic, and receive only what is sent there.
 */

/** The device's own topic it may publish to, or undefined when it may not publish there. */
export function ownPublishTopic(fleet: Fleet, device: string, topic: string): { kind: 'state' | 'status' } | undefined {
  const parsed = parseDeviceTopic(topic)
  const own = fleet.device(device)!
  if (!parsed || parsed.device !== device || parsed.station !== own.station.model.id || parsed.kind === 'cmd') return undefined
  return { kind: parsed.kind }
}

export function maySubscribe(fleet: Fleet, device: string | undefined, topic: string): boolean {
  const own = device ? fleet.device(device) : undefined
  return device !== undefined && own !== undefined && topic === deviceTopic(own.station.model.id, device, 'cmd')
}

/** Devices never receive each other's readings: only cmd is ever delivered. */
export function mayReceive(device: string | undefined, topic: string): boolean {
  return device !== undefined && topic.endsWith(`/devices/${device}/cmd`)
}
