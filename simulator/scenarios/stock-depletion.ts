import { fullStock, scaledRules, type Scenario } from '../scenario.ts'
import { momentsBetween, visit } from './visit.ts'

export const stockDepletion: Scenario = {
  name: 'stock-depletion',
  summary: 'A rainstorm: two counted supplies are drawn below their minimum; one is restocked later.',
  description: [
    'Forty minutes in, staff draw two counted supplies (sandbags and drinking water when the station has',
    'them) below their minimum: stock-low for both. Ninety minutes later a delivery brings the second',
    'back to full, so the service resolves its stock-low itself; the first stays low (active).',
  ].join('\n'),
  rules: (speed) => scaledRules(speed),
  plan(p) {
    const counted = p.countedItems().filter((i) => i.kind === 'supply')
    const preferred = ['sandbags', 'drinking-water'].map((id) => counted.find((i) => i.id === id))
    const first = preferred[0] ?? counted[0]
    const second = preferred[1] ?? counted.find((i) => i !== first && p.doorFor(i) === (first && p.doorFor(first)))
    if (!first || !second) return p.finish(p.minutes(1))
    const door = p.doorFor(first)
    const drawn = visit(p, {
      door,
      holder: 'community',
      at: p.minutes(40),
      walk: p.minutes(2),
      openFor: p.minutes(8),
      returnAfter: p.minutes(5),
      inside: (from, to) =>
        p.setItems(momentsBetween(from, to, 1)[0]!, {
          [first.id]: Math.max(0, first.min! - p.rng.int(3, 8)),
          [second.id]: Math.max(0, second.min! - p.rng.int(2, 6)),
        }),
    })
    if (drawn === undefined) return p.finish(p.minutes(1))
    const restocked = visit(p, {
      door,
      holder: 'property',
      at: drawn + p.minutes(90),
      walk: p.minutes(2),
      openFor: p.minutes(6),
      returnAfter: p.minutes(3),
      inside: (from, to) => p.setItems(momentsBetween(from, to, 1)[0]!, { [second.id]: fullStock(second) }),
    })
    p.expect({ rule: 'stock-low', subject: `item:${first.id}`, severity: 'warning', state: 'active', why: 'drawn below its minimum and not restocked' })
    p.expect({ rule: 'stock-low', subject: `item:${second.id}`, severity: 'warning', state: restocked === undefined ? 'active' : 'resolved', why: 'drawn below its minimum, then restocked to full' })
    p.finish(p.now + p.atLeastReal(p.minutes(10), 3))
  },
}
