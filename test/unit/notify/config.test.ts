import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { NotifyConfigError, parseNotifyConfig, parseDays } from '../../../src/notify/config.ts'

const example = () => JSON.parse(readFileSync(new URL('../../../config/notify.example.json', import.meta.url), 'utf8'))
const env = {
  WECOM_WEBHOOK_URL: 'http://127.0.0.1:1/cgi-bin/webhook/send?key=K',
  DINGTALK_WEBHOOK_URL: 'http://127.0.0.1:1/robot/send?access_token=T',
  DINGTALK_SECRET: 'SECdingtalk',
  FEISHU_WEBHOOK_URL: 'http://127.0.0.1:1/open-apis/bot/v2/hook/H',
  FEISHU_SECRET: 'feishu-secret',
  ALIYUN_ACCESS_KEY_ID: 'AKID',
  ALIYUN_ACCESS_KEY_SECRET: 'AKSECRET',
}

function problems(data: unknown, e: Record<string, string> = env, stations?: string[]): string[] {
  try {
    parseNotifyConfig(data, e, stations)
  } catch (err) {
    if (err instanceof NotifyConfigError) return err.problems
    throw err
  }
  return []
}

describe('NOTIFY_CONFIG', () => {
  it('the example file for the demo station is valid and reads its secrets from the environment', () => {
    const c = parseNotifyConfig(example(), env, ['xinhua'])
    expect(c.language).toBe('zh-CN')
    expect(c.channels.get('team-dingtalk')).toMatchObject({ type: 'dingtalk', url: env.DINGTALK_WEBHOOK_URL, secret: 'SECdingtalk' })
    expect(c.channels.get('sms')).toMatchObject({ accessKeyId: 'AKID', accessKeySecret: 'AKSECRET' })
    expect(c.routes).toHaveLength(3)
    expect([...c.people.keys()]).toEqual(['zhang', 'li', 'wang', 'zhao'])
  })

  it('an unknown channel in a route names the field and the value', () => {
    const f = example()
    f.routes[0].steps[1].channels = ['smss']
    expect(problems(f)).toContain('routes[0].steps[1].channels[0]: unknown channel "smss"')
  })

  it('an unknown person names the field and the value, in onCall and in a step', () => {
    const f = example()
    f.onCall[1].people = ['li', 'nobody']
    f.routes[0].steps[2].to = ['ghost']
    expect(problems(f)).toEqual(expect.arrayContaining(['onCall[1].people[1]: unknown person "nobody"', 'routes[0].steps[2].to[0]: unknown person "ghost"']))
  })

  it('a bad time names the field and the value', () => {
    const f = example()
    f.onCall[0].from = '25:00'
    f.routes[1].quietHours.to = '7:00'
    const p = problems(f)
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/^onCall\[0\]\.from: .*"25:00"/), expect.stringMatching(/^routes\[1\]\.quietHours\.to: .*"7:00"/)]))
  })

  it('a station that is not configured, or not an id, names the field and the value', () => {
    const f = example()
    f.onCall[0].stations = ['xinhau']
    expect(problems(f, env, ['xinhua'])).toContain('onCall[0].stations[0]: unknown station "xinhau"')
    f.routes[1].stations = ['Bad Id']
    expect(problems(f, env, ['xinhua'])).toEqual([expect.stringMatching(/^routes\[1\]\.stations\[0\]: .*"Bad Id"/)])
  })

  it('bad days and an unknown channel type are refused', () => {
    const f = example()
    f.onCall[0].days = 'monday-friday'
    f.channels.pager = { type: 'pager', url: 'http://x' }
    const p = problems(f)
    expect(p).toContain('onCall[0].days: must be day names like "mon-fri" or "sat,sun" ("monday-friday")')
    expect(p.some((l) => l.startsWith('channels.pager.type'))).toBe(true)
  })

  it('a secret taken from an unset variable names the variable, and no secret value is ever echoed', () => {
    const f = example()
    f.channels['team-wecom'].url = 'not a url with key=SECRETKEY'
    const { DINGTALK_SECRET: _s, ...rest } = env
    const p = problems(f, rest)
    expect(p).toContain('channels.team-dingtalk.secret: environment variable DINGTALK_SECRET is not set')
    expect(p).toContain('channels.team-wecom.url: must be a full http(s) URL')
    expect(p.join('\n')).not.toContain('SECRETKEY')
  })

  it('every step with an SMS channel says whom to text', () => {
    const f = example()
    delete f.routes[0].steps[1].to
    expect(problems(f)).toContain('routes[0].steps[1].to: an sms-aliyun channel needs recipients ("on-call" or people ids)')
  })

  it('days: ranges, lists and ranges that wrap past Sunday', () => {
    expect([...parseDays('mon-fri')!].sort()).toEqual([1, 2, 3, 4, 5])
    expect([...parseDays('sat,sun')!].sort()).toEqual([0, 6])
    expect([...parseDays('fri-mon')!].sort()).toEqual([0, 1, 5, 6])
    expect(parseDays('funday')).toBeUndefined()
  })
})
