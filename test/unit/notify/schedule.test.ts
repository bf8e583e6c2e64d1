import { describe, expect, it } from 'vitest'
import { parseNotifyConfig } from '../../../src/notify/config.ts'
import { firing, onCallAt, quietUntil, routeFor } from '../../../src/notify/schedule.ts'

const TZ = 'Asia/Shanghai'
/** an instant given as Shanghai wall time (UTC+8, no DST) */
const cst = (iso: string) => Date.parse(`${iso}+08:00`)

const config = parseNotifyConfig(
  {
    publicUrl: 'http://127.0.0.1:8080',
    channels: { g: { type: 'wecom', url: 'http://127.0.0.1:1/x' } },
    people: [
      { id: 'day', name: '白班' },
      { id: 'night', name: '夜班' },
      { id: 'weekend', name: '周末' },
      { id: 'other', name: '别站' },
    ],
    onCall: [
      { stations: ['xinhua'], days: 'mon-fri', from: '08:00', to: '20:00', people: ['day'] },
      { stations: ['xinhua'], days: 'mon-fri', from: '20:00', to: '08:00', people: ['night'] },
      { stations: ['*'], days: 'sat,sun', from: '00:00', to: '00:00', people: ['weekend'] },
      { stations: ['other'], days: 'daily', from: '00:00', to: '00:00', people: ['other'] },
    ],
    routes: [
      { stations: ['*'], severities: ['critical'], repeatEverySeconds: 600, steps: [{ afterSeconds: 0, channels: ['g'] }, { afterSeconds: 300, channels: ['g'] }] },
      { stations: ['*'], severities: ['warning', 'info'], quietHours: { from: '22:00', to: '07:00' }, steps: [{ afterSeconds: 0, channels: ['g'] }] },
    ],
  },
  {},
)
const who = (iso: string, station = 'xinhua') => onCallAt(config, station, cst(iso), TZ).map((p) => p.id)

describe('on-call in the station time zone (Asia/Shanghai)', () => {
  it('weekday day shift and night shift meet at 08:00 and 20:00', () => {
    // 2026-12-04 is a Friday
    expect(who('2026-12-04T07:59:00')).toEqual(['night'])
    expect(who('2026-12-04T08:00:00')).toEqual(['day'])
    expect(who('2026-12-04T19:59:00')).toEqual(['day'])
    expect(who('2026-12-04T20:00:00')).toEqual(['night'])
  })

  it('a night that wraps past midnight belongs to the day it began', () => {
    // Friday's night shift runs into Saturday morning, beside the weekend's whole-day window
    expect(who('2026-12-05T03:00:00')).toEqual(['night', 'weekend'])
    // Sunday night is not a mon-fri night: Monday 03:00 has nobody from it
    expect(who('2026-12-07T03:00:00')).toEqual([])
    expect(who('2026-12-07T09:00:00')).toEqual(['day'])
  })

  it('the same instant in UTC is another wall time: the station zone decides', () => {
    // 2026-12-04T23:30Z is Saturday 07:30 in Shanghai
    expect(onCallAt(config, 'xinhua', Date.parse('2026-12-04T23:30:00Z'), TZ).map((p) => p.id)).toEqual(['night', 'weekend'])
    expect(onCallAt(config, 'xinhua', Date.parse('2026-12-04T23:30:00Z'), 'UTC').map((p) => p.id)).toEqual(['night'])
  })

  it('from == to is the whole day; "*" matches every station', () => {
    expect(who('2026-12-05T12:00:00')).toEqual(['weekend'])
    expect(who('2026-12-04T12:00:00', 'other')).toEqual(['other'])
    expect(who('2026-12-05T12:00:00', 'other')).toEqual(['weekend', 'other'])
  })
})

describe('quiet hours', () => {
  const warning = routeFor(config, 'xinhua', 'warning')!.route
  it('hold a warning at night until the window ends, in the station zone', () => {
    expect(quietUntil(warning, 'warning', cst('2026-12-04T23:30:20'), TZ)).toBe(cst('2026-12-05T07:00:00'))
    expect(quietUntil(warning, 'info', cst('2026-12-05T06:59:00'), TZ)).toBe(cst('2026-12-05T07:00:00'))
    expect(quietUntil(warning, 'warning', cst('2026-12-05T07:00:00'), TZ)).toBeUndefined()
    expect(quietUntil(warning, 'warning', cst('2026-12-04T21:59:59'), TZ)).toBeUndefined()
  })
  it('never hold a critical alert', () => {
    expect(quietUntil(warning, 'critical', cst('2026-12-04T23:30:00'), TZ)).toBeUndefined()
  })
})

describe('escalation plan', () => {
  it('steps at afterSeconds from the opening, then the last step every repeatEverySeconds', () => {
    const critical = routeFor(config, 'xinhua', 'critical')!.route
    expect([0, 1, 2, 3].map((k) => firing(critical, 1000, k))).toEqual([
      { step: 0, dueAt: 1000 },
      { step: 1, dueAt: 301_000 },
      { step: 1, dueAt: 901_000 },
      { step: 1, dueAt: 1_501_000 },
    ])
    expect(firing(routeFor(config, 'xinhua', 'warning')!.route, 0, 1)).toBeUndefined()
  })
})
