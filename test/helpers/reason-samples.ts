import type { Reason, ReasonCode } from '../../src/domain/reasons.ts'

/** One reason of every code, with names as stations configure them. Typed so a new code must be added here. */
export const REASON_SAMPLES: { [C in ReasonCode]: Extract<Reason, { code: C }> } = {
  'door-forced': { code: 'door-forced', door: 'main', name: '正门' },
  'door-open': { code: 'door-open', door: 'main', name: '正门' },
  'key-out': { code: 'key-out', key: 'key-main-1', name: '正门钥匙（物业）' },
  'key-taken': { code: 'key-taken', key: 'key-main-1', name: '正门钥匙（物业）', by: 'badge-9' },
  'item-missing': { code: 'item-missing', item: 'spreader-1', name: '液压破拆工具' },
  'supply-low': { code: 'supply-low', item: 'water', name: '饮用水', count: 3, min: 24 },
  'device-not-reported': { code: 'device-not-reported', device: 'js-door-room' },
  'device-offline': { code: 'device-offline', device: 'js-keybox' },
}
