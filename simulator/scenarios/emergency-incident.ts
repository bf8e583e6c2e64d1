import { missingSeverity, scaledRules, type Scenario } from '../scenario.ts'
import { keyFor, responderBadge } from './people.ts'

export const emergencyIncident: Scenario = {
  name: 'emergency-incident',
  summary: 'Responders open an incident, take professional kit out for hours, bring back all but one item.',
  description: [
    'Ten minutes in, a responder opens an incident through the HTTP API. The community key is taken,',
    'the hall door opened and the key put back; the team takes up to four professional items and the',
    'door stays open for the whole operation, well past doorOpenMaxSeconds and equipmentMissingSeconds:',
    'during an incident neither door-open-too-long nor equipment-missing may be raised. The team brings',
    'everything back but one item, closes the door, and the incident is closed. From that moment the',
    'missing item is judged again, so after equipmentMissingSeconds it raises equipment-missing.',
  ].join('\n'),
  needsIncidents: true,
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const kit = p.professionalItems().filter((i) => i.min === undefined)
    const hall = kit[0] ? p.doorFor(kit[0]) : p.station.doors[0]?.id
    const key = hall ? keyFor(p, hall, 'community') : undefined
    if (!hall || !key || kit.length === 0) return p.finish(p.minutes(1))
    const user = responderBadge(p)
    const taken = p.rng.sample(kit, Math.min(4, kit.length))
    const leftBehind = taken[0]!

    let t = p.minutes(10)
    p.openIncident(t)
    p.takeKey((t += p.minutes(2)), key.id, user)
    p.openDoor((t += p.minutes(1)), hall)
    p.returnKey((t += p.within('keyOverdueSeconds', p.minutes(2))), key.id, user)
    p.setItems((t += p.minutes(1)), Object.fromEntries(taken.map((i) => [i.id, false])))
    // The operation: long enough that both suppressed rules would have fired without the incident.
    t += Math.max(p.beyond('equipmentMissingSeconds'), p.beyond('doorOpenMaxSeconds'), p.hours(2))
    p.setItems(t, Object.fromEntries(taken.slice(1).map((i) => [i.id, true])))
    p.closeDoor((t += p.minutes(2)), hall)
    p.closeIncident((t += p.minutes(1)))
    p.expect({
      rule: 'equipment-missing',
      subject: `item:${leftBehind.id}`,
      severity: missingSeverity(leftBehind),
      state: 'active',
      why: 'not brought back; judged from the moment the incident closed',
    })
    p.finish(t + p.beyond('equipmentMissingSeconds'))
  },
}
