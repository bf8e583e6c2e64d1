import { MALFORMED, type MalformedKind } from '../malformed.ts'
import { scaledRules, type Plan, type Scenario } from '../scenario.ts'
import type { StationDevice } from '../station.ts'

type Equipment = Extract<StationDevice, { type: 'equipment' }>

/**
 * The reading part of each malformed message. Each would, if wrongly taken,
 * move the station towards an alert, so a service that accepts it is caught.
 */
function fieldsFor(p: Plan, kind: MalformedKind, keybox: Extract<StationDevice, { type: 'keybox' }> | undefined, reader: Equipment | undefined): Record<string, unknown> | undefined {
  const counted = reader?.items.find((id) => p.item(id).min !== undefined)
  const present = reader?.items.find((id) => p.item(id).min === undefined)
  const elsewhere = p.devicesOf('equipment').find((d) => d !== reader)?.items[0]
  switch (MALFORMED[kind].device) {
    case 'door':
      return kind === 'reading-wrong-type' ? { open: 'true' } : { open: true }
    case 'keybox': {
      if (!keybox) return undefined
      const [slot, key] = Object.entries(keybox.slots)[0] ?? []
      let unknown = 'slot-99'
      while (unknown in keybox.slots) unknown += '9'
      return slot ? { slots: { [slot]: null, [unknown]: key } } : undefined
    }
    case 'equipment':
      if (!reader) return undefined
      if (kind === 'unknown-item') return { items: { 'no-such-item': false, ...(present ? { [present]: false } : {}) } }
      if (kind === 'item-of-another-device') return elsewhere ? { items: { [elsewhere]: p.item(elsewhere).min === undefined ? false : 0 } } : undefined
      if (kind === 'count-as-boolean') return counted ? { items: { [counted]: false } } : undefined
      if (kind === 'presence-as-number') return present ? { items: { [present]: 0 } } : undefined
      return undefined
  }
}

export const badFirmware: Scenario = {
  name: 'bad-firmware',
  summary: 'Devices with broken firmware send every kind of message the contract refuses.',
  description: [
    'Ten minutes in, after a fresh well-formed report from the first door contact, devices send one',
    'message of each malformed kind, 30 s apart: not JSON, a JSON array, over 4 KiB, missing ts,',
    'missing seq, ts and seq as strings, a reading of the wrong type (door contacts); an unknown slot',
    '(key box); an unknown item, an item another reader covers, a count as a boolean and a presence as a',
    'number (equipment reader); the last accepted seq+ts again (duplicate: ignored); an older ts',
    '(history only); and a publish to another device\'s state topic, which the broker refuses and may',
    'answer by closing the connection (the device then reconnects). Every message, if wrongly taken,',
    'would open a door with no key out, empty a slot or remove an item, and the run lasts long enough',
    'for that to show: no alert is expected, except device-offline for the door contact if the broker',
    'closed its connection (its will), resolved when it reconnected.',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const doors = p.devicesOf('door')
    const sender = doors[0]
    const keybox = p.devicesOf('keybox')[0]
    const readers = p.devicesOf('equipment')
    const reader = readers.find((r) => r.items.some((id) => p.item(id).min !== undefined) && r.items.some((id) => p.item(id).min === undefined)) ?? readers[0]
    const foreign = doors[1] ?? keybox ?? readers[0]
    let t = p.minutes(10)
    if (sender) p.reportDoor(t, sender.door)
    for (const kind of Object.keys(MALFORMED) as MalformedKind[]) {
      const type = MALFORMED[kind].device
      const device = type === 'door' ? sender : type === 'keybox' ? keybox : reader
      const fields = fieldsFor(p, kind, keybox, reader)
      if (!device || !fields) continue
      if (kind === 'duplicate' && sender) p.reportDoor((t += p.seconds(30)), sender.door)
      if (kind === 'foreign-topic') {
        if (!foreign || foreign.id === device.id) continue
        p.malformed((t += p.seconds(30)), device.id, kind, foreign.type === 'door' ? { open: true } : fields, foreign.id)
        p.expect({ rule: 'device-offline', subject: `device:${device.id}`, severity: 'warning', state: 'resolved', optional: true, why: 'the broker may close the connection of a device publishing to another device\'s topic; its will then goes out' })
        continue
      }
      p.malformed((t += p.seconds(30)), device.id, kind, fields)
    }
    // Long enough that an item wrongly marked absent would have raised equipment-missing.
    p.finish(t + Math.max(p.beyond('equipmentMissingSeconds'), p.minutes(10)))
  },
}
