import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadNotifyConfig } from '../../../src/config/notify-config.ts'

const dir = mkdtempSync(join(tmpdir(), 'notify-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('loading NOTIFY_CONFIG', () => {
  it('reads the named file; a bad one stops start-up naming the file, field and value', () => {
    const good = join(dir, 'good.json')
    writeFileSync(good, JSON.stringify({ publicUrl: 'http://x', channels: { g: { type: 'wecom', url: { env: 'WECOM_URL' } } }, routes: [] }))
    expect(loadNotifyConfig({ NOTIFY_CONFIG: good, WECOM_URL: 'http://127.0.0.1:1/send?key=K' }, ['xinhua'])?.channels.get('g')).toMatchObject({ url: 'http://127.0.0.1:1/send?key=K' })
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ publicUrl: 'http://x', channels: {}, routes: [{ stations: ['*'], severities: ['critical'], steps: [{ afterSeconds: 0, channels: ['team'] }] }] }))
    expect(() => loadNotifyConfig({ NOTIFY_CONFIG: bad }, [])).toThrow(`NOTIFY_CONFIG=${bad}:\n  routes[0].steps[0].channels[0]: unknown channel "team"`)
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{ "publicUrl": ')
    expect(() => loadNotifyConfig({ NOTIFY_CONFIG: broken }, [])).toThrow(/not valid JSON/)
    expect(() => loadNotifyConfig({ NOTIFY_CONFIG: join(dir, 'missing.json') }, [])).toThrow(/cannot read \(ENOENT\)/)
  })
})
