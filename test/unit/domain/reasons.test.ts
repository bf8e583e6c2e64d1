import { describe, expect, test } from 'vitest'
import { REASON_CODES, reasonText, type Reason } from '../../../src/domain/reasons.ts'
import { REASON_SAMPLES } from '../../helpers/reason-samples.ts'

// The English sentences are the contract's `reasons`: their wording is public.
const ENGLISH: Record<string, string> = {
  'door-forced': '正门 was forced open',
  'door-open': '正门 is open',
  'key-out': '正门钥匙（物业） is out of the key box',
  'key-taken': '正门钥匙（物业） is out of the key box (taken by badge-9)',
  'item-missing': '液压破拆工具 is missing',
  'supply-low': '饮用水 is low: 3 of 24',
  'device-not-reported': 'js-door-room has not reported yet',
  'device-offline': 'js-keybox is offline',
}

describe('reason codes rendered in English (the contract\'s reasons)', () => {
  test('every code the domain can give has a sample and a sentence', () => {
    expect([...REASON_CODES].sort()).toEqual(Object.keys(REASON_SAMPLES).sort())
    expect(Object.keys(ENGLISH).sort()).toEqual([...REASON_CODES].sort())
  })

  test.each(REASON_CODES)('%s renders its sentence from its values', (code) => {
    const reason: Reason = REASON_SAMPLES[code]
    expect(reasonText(reason)).toBe(ENGLISH[code])
  })

  test('a sentence takes its values from the reason, not from the table', () => {
    expect(reasonText({ code: 'supply-low', item: 'masks', name: 'Masks', count: 0, min: 100 })).toBe('Masks is low: 0 of 100')
    expect(reasonText({ code: 'key-taken', key: 'k', name: 'Back door key', by: 'badge-42' })).toBe('Back door key is out of the key box (taken by badge-42)')
    expect(reasonText({ code: 'device-offline', device: 'north-shelf' })).toBe('north-shelf is offline')
  })
})
