import { batteryLow } from './battery-low.ts'
import { deviceOffline } from './device-offline.ts'
import { doorForced } from './door-forced.ts'
import { doorOpenTooLong } from './door-open-too-long.ts'
import { equipmentMissing } from './equipment-missing.ts'
import { keyOverdue } from './key-overdue.ts'
import type { Rule } from './rule.ts'
import { stockLow } from './stock-low.ts'
import { tamper } from './tamper.ts'

export const allRules: Rule[] = [doorForced, doorOpenTooLong, keyOverdue, equipmentMissing, stockLow, deviceOffline, batteryLow, tamper]

/** One reading touches only the rules of its subject's type. */
export const rulesBySubjectType: Record<Rule['subjectType'], Rule[]> = {
  door: allRules.filter((r) => r.subjectType === 'door'),
  key: allRules.filter((r) => r.subjectType === 'key'),
  item: allRules.filter((r) => r.subjectType === 'item'),
  device: allRules.filter((r) => r.subjectType === 'device'),
}
