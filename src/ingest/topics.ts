/** `stations/S/devices/D/{state,status,cmd}` (contract §3). */
export type TopicKind = 'state' | 'status' | 'cmd'

export function parseDeviceTopic(topic: string): { station: string; device: string; kind: TopicKind } | undefined {
  const parts = topic.split('/')
  if (parts.length !== 5 || parts[0] !== 'stations' || parts[2] !== 'devices') return undefined
  const kind = parts[4]
  if (kind !== 'state' && kind !== 'status' && kind !== 'cmd') return undefined
  return { station: parts[1]!, device: parts[3]!, kind }
}

export function deviceTopic(station: string, device: string, kind: TopicKind): string {
  return `stations/${station}/devices/${device}/${kind}`
}
