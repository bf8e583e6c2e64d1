/** `stations/S/devices/D/{state,status,cmd}` (contract §3). */
export type TopicKind = 'state' | 'status' | 'cmd'

export function parseDeviceTopic(topic: string): { station: string; device: string; kind: TopicKind } | undefined {
  // Runs on every message: indexOf rather than split, which builds an array of five strings.
  if (!topic.startsWith('stations/')) return undefined
  const a = topic.indexOf('/', 9) // after the station
  if (a < 0 || !topic.startsWith('/devices/', a)) return undefined
  const b = topic.indexOf('/', a + 9) // after the device
  if (b < 0 || topic.indexOf('/', b + 1) >= 0) return undefined
  const n = topic.length - b - 1
  const kind: TopicKind | undefined =
    n === 5 && topic.endsWith('state') ? 'state' : n === 6 && topic.endsWith('status') ? 'status' : n === 3 && topic.endsWith('cmd') ? 'cmd' : undefined
  if (!kind) return undefined
  return { station: topic.slice(9, a), device: topic.slice(a + 9, b), kind }
}

export function deviceTopic(station: string, device: string, kind: TopicKind): string {
  return `stations/${station}/devices/${device}/${kind}`
}
