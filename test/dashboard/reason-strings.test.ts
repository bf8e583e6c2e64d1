// The dashboard renders the status's reasonCodes from its own table (strings.js); this checks, in
// node and without a browser, that the table has a text in both languages for every code the domain
// can give, and that each text is filled completely from that code's values.
import { describe, expect, test } from 'vitest'
import { REASON_CODES, reasonText as englishSentence } from '../../src/domain/reasons.ts'
import { REASON_SAMPLES } from '../helpers/reason-samples.ts'

type Strings = Record<string, [string, string]>
type RenderReason = (reason: { code: string; [param: string]: string | number | null }, sentence: string) => string
// Loaded by URL: the dashboard's modules are plain browser JavaScript, outside the TypeScript project.
const js = (file: string) => new URL(`../../dashboards/web/js/${file}`, import.meta.url).href
const { STRINGS } = (await import(js('strings.js'))) as { STRINGS: Strings }
// i18n.js starts in Simplified Chinese when there is no localStorage, as in a browser that has none.
const { reasonText } = (await import(js('i18n.js'))) as { reasonText: RenderReason }

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
const CJK = /[\u4e00-\u9fff]/

describe('dashboard reason texts', () => {
  test.each(REASON_CODES)('%s has a Chinese and an English text filled from its values', (code) => {
    const pair = STRINGS[`reason.${code}`]
    expect(pair, `strings.js has no reason.${code}`).toBeDefined()
    const [zh, en] = pair!
    expect(zh).toMatch(CJK)
    expect(en).not.toMatch(CJK)
    const values = Object.keys(REASON_SAMPLES[code]).filter((k) => k !== 'code')
    for (const text of [zh, en]) {
      expect(placeholders(text).length).toBeGreaterThan(0)
      for (const name of placeholders(text)) expect(values, `reason.${code}: {${name}}`).toContain(name)
    }
  })

  test('no reason text is left for a code the domain no longer gives', () => {
    const keys = Object.keys(STRINGS).filter((k) => k.startsWith('reason.'))
    expect(keys.sort()).toEqual(REASON_CODES.map((c) => `reason.${c}`).sort())
  })

  test.each(REASON_CODES)('%s renders in Chinese without a placeholder left', (code) => {
    const reason = REASON_SAMPLES[code]
    const text = reasonText(reason, englishSentence(reason))
    expect(text).toMatch(CJK)
    expect(text).not.toMatch(/[{}]/)
    expect(text).toContain('name' in reason ? reason.name : reason.device)
  })

  test('a code the page does not know shows the service\'s sentence', () => {
    expect(reasonText({ code: 'door-on-fire', door: 'main', name: '正门' }, '正门 is on fire')).toBe('正门 is on fire')
  })

  test('the Chinese texts read as the dashboard showed them before reasons had codes', () => {
    const zh = (code: keyof typeof REASON_SAMPLES) => reasonText(REASON_SAMPLES[code], '')
    expect(zh('door-forced')).toBe('正门 被强行打开')
    expect(zh('key-taken')).toBe('正门钥匙（物业） 不在钥匙箱（取用人：badge-9）')
    expect(zh('supply-low')).toBe('饮用水 不足：3 / 24')
    expect(zh('device-offline')).toBe('js-keybox 离线')
  })
})
