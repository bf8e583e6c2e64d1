import type { StationModel, Subject } from '../domain/station-model.ts'
import { rulesBySubjectType } from './rules/index.ts'
import type { Rule } from './rules/rule.ts'
import { alertKey } from './unresolved-alerts.ts'

/** One rule on one subject of one station, with the strings that name it. */
export interface RuleSlot {
  readonly rule: Rule
  /** the subject's id, what the rule is evaluated on */
  readonly id: string
  readonly subject: Subject
  /** the alert's key while unresolved, in the deadline queue and in `latestOccurrence` */
  readonly key: string
}

/**
 * The rules each subject's change must look at, per station. Every reading re-evaluates the
 * rules of the subjects it touched: building their keys afresh each time, and hashing the new
 * strings in every map they were looked up in, cost more than the rules themselves. Built on
 * first use and kept, so the same key strings (hash included) serve every later reading; the
 * price is some 200 bytes per rule on each configured subject (about 1 KB per device).
 */
export class RuleSlots {
  // Weak: a station reconfigured while running (contract v2 §E) gets a new model; the old one's slots go with it.
  private readonly stations = new WeakMap<StationModel, Map<string, RuleSlot[]>>()

  of(model: StationModel, subject: Subject): RuleSlot[] {
    let bySubject = this.stations.get(model)
    if (!bySubject) this.stations.set(model, (bySubject = new Map<string, RuleSlot[]>()))
    let slots = bySubject.get(subject)
    if (!slots) {
      const i = subject.indexOf(':')
      const type = subject.slice(0, i) as Rule['subjectType']
      // A reading's subject is a rope built for it: what is kept is one flat string, the id a slice of it.
      const kept = [type, subject.slice(i + 1)].join(':') as Subject
      const id = kept.slice(i + 1)
      // An item no device reports has no device state to judge: its stock-low is the ledger's
      // (`reconcile` with the ledger's subjects), and a rule here would resolve that alert as "cleared".
      const rules = type === 'item' && model.items.has(id) && !model.isSensed(id) ? [] : rulesBySubjectType[type]
      slots = rules.map((rule) => ({ rule, id, subject: kept, key: alertKey(model.id, rule.name, kept) }))
      // Only what the configuration names is kept, so the cache cannot grow beyond it.
      if (isConfigured(model, type, id)) bySubject.set(kept, slots)
    }
    return slots
  }
}

function isConfigured(model: StationModel, type: Rule['subjectType'], id: string): boolean {
  switch (type) {
    case 'door':
      return model.doors.has(id)
    case 'key':
      return model.keys.has(id)
    case 'item':
      return model.items.has(id)
    case 'device':
      return model.devices.has(id)
    default:
      return false
  }
}
