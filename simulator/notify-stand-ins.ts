// Local stand-ins for the notification vendors, to walk config/notify.example.json's chain without
// real robots or an SMS account:
//   node --import tsx simulator/notify-stand-ins.ts [--port 9900] [--fast]
// It serves WeCom, DingTalk and Feishu robots, Aliyun SMS (SendSms) and the webhook on one port,
// checks each request as the vendor would (DingTalk and Feishu signatures included), prints one line
// per message, and writes a copy of the example config whose SMS endpoint and webhook point here
// (`--fast`: every afterSeconds and repeatEverySeconds divided by 30). It prints the command to start
// the service with it.
import { createHmac } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const EXAMPLE = join(ROOT, 'config/notify.example.json')
const FAST_FACTOR = 30
/** demo secrets for the robots' signatures: the stand-ins check them as the vendors would */
const DINGTALK_SECRET = 'SECdemo-dingtalk-stand-in'
const FEISHU_SECRET = 'demo-feishu-stand-in'

type Check = { vendor: string; ok: boolean; problem?: string; summary: string; answer: unknown }

function wecom(url: URL, body: any): Check {
  const content: string = body?.markdown?.content ?? body?.text?.content ?? ''
  const ok = url.searchParams.get('key') === 'demo-key' && (body?.msgtype === 'markdown' || body?.msgtype === 'text') && content.length > 0
  return { vendor: 'WeCom', ok, ...(ok ? {} : { problem: 'not a WeCom robot message for key=demo-key' }), summary: firstLine(content), answer: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 93000, errmsg: 'invalid webhook url' } }
}

function dingtalk(url: URL, body: any): Check {
  const ts = url.searchParams.get('timestamp') ?? ''
  const expected = createHmac('sha256', DINGTALK_SECRET).update(`${ts}\n${DINGTALK_SECRET}`).digest('base64')
  const fresh = Math.abs(Date.now() - Number(ts)) < 3_600_000
  const ok = url.searchParams.get('access_token') === 'demo-token' && url.searchParams.get('sign') === expected && fresh
  return { vendor: 'DingTalk', ok, ...(ok ? {} : { problem: 'sign not match' }), summary: firstLine(body?.markdown?.title ?? body?.text?.content ?? ''), answer: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' } }
}

function feishu(body: any): Check {
  const ts = String(body?.timestamp ?? '')
  const expected = createHmac('sha256', `${ts}\n${FEISHU_SECRET}`).digest('base64')
  const ok = body?.sign === expected && Math.abs(Date.now() / 1000 - Number(ts)) < 3600
  return { vendor: 'Feishu', ok, ...(ok ? {} : { problem: 'sign match fail' }), summary: firstLine(body?.content?.text ?? ''), answer: ok ? { code: 0, msg: 'success', data: {} } : { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' } }
}

function sms(req: IncomingMessage, url: URL): Check {
  const phones = url.searchParams.get('PhoneNumbers') ?? ''
  const ok = req.headers['x-acs-action'] === 'SendSms' && String(req.headers.authorization ?? '').startsWith('ACS3-HMAC-SHA256 Credential=demo-access-key-id,') && phones.length > 0
  let params: Record<string, string> = {}
  try {
    params = JSON.parse(url.searchParams.get('TemplateParam') ?? '{}') as Record<string, string>
  } catch {
    // shown as empty
  }
  return { vendor: 'SMS', ok, ...(ok ? {} : { problem: 'not a SendSms call signed with demo-access-key-id' }), summary: `to ${phones}: ${params.station ?? ''} ${params.alert ?? ''} ${params.severity ?? ''} ${params.link ?? ''}`, answer: ok ? { Code: 'OK', Message: 'OK', BizId: 'stand-in', RequestId: 'stand-in' } : { Code: 'InvalidAccessKeyId.NotFound', Message: 'Specified access key is not found.' } }
}

function webhook(body: any): Check {
  return { vendor: 'webhook', ok: body?.type === 'alert', summary: `${body?.change ?? '?'} ${body?.alert?.rule ?? ''} ${body?.alert?.subject ?? ''}`, answer: {} }
}

const firstLine = (s: string) => s.replace(/^#+\s*/, '').split('\n')[0]!.slice(0, 120)

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const url = new URL(req.url ?? '/', 'http://stand-in')
  let body: unknown
  try {
    body = raw ? JSON.parse(raw) : undefined
  } catch {
    body = undefined
  }
  const check = url.pathname === '/cgi-bin/webhook/send' ? wecom(url, body) : url.pathname === '/robot/send' ? dingtalk(url, body) : url.pathname.startsWith('/open-apis/bot/v2/hook/') ? feishu(body) : url.pathname === '/stationwatch-hook' ? webhook(body) : req.headers['x-acs-action'] ? sms(req, url) : undefined
  if (!check) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{}')
    return
  }
  const time = new Date().toISOString().slice(11, 19)
  console.log(`${time} ${check.vendor.padEnd(8)} ${check.ok ? 'ok  ' : `REFUSED (${check.problem})`} ${check.summary}`)
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(check.answer))
}

/** The example config with the SMS endpoint and the webhook pointed at the stand-ins. */
function localConfig(base: string, fast: boolean): unknown {
  const config = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { publicUrl: string; channels: Record<string, Record<string, unknown>>; routes: { repeatEverySeconds?: number; steps: { afterSeconds: number }[] }[] }
  for (const c of Object.values(config.channels)) {
    if (c.type === 'sms-aliyun') c.endpoint = base
    if (c.type === 'webhook') c.url = `${base}/stationwatch-hook`
  }
  if (fast) {
    for (const r of config.routes) {
      for (const s of r.steps) s.afterSeconds = s.afterSeconds / FAST_FACTOR
      if (r.repeatEverySeconds) r.repeatEverySeconds = r.repeatEverySeconds / FAST_FACTOR
    }
  }
  return config
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '9900' }, fast: { type: 'boolean', default: false }, out: { type: 'string', default: join(ROOT, 'data/notify.local.json') } } })
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => handle(req, res, raw))
  })
  server.listen(Number(values.port), '127.0.0.1', () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    mkdirSync(dirname(values.out), { recursive: true })
    writeFileSync(values.out, JSON.stringify(localConfig(base, values.fast), null, 2))
    const env = {
      NOTIFY_CONFIG: values.out,
      WECOM_WEBHOOK_URL: `${base}/cgi-bin/webhook/send?key=demo-key`,
      DINGTALK_WEBHOOK_URL: `${base}/robot/send?access_token=demo-token`,
      DINGTALK_SECRET,
      FEISHU_WEBHOOK_URL: `${base}/open-apis/bot/v2/hook/demo-hook`,
      FEISHU_SECRET,
      ALIYUN_ACCESS_KEY_ID: 'demo-access-key-id',
      ALIYUN_ACCESS_KEY_SECRET: 'demo-access-key-secret',
    }
    console.log(`notification stand-ins on ${base}${values.fast ? ` (steps ${FAST_FACTOR}× faster)` : ''}; config written to ${values.out}`)
    console.log(`stand-ins-env ${JSON.stringify(env)}`)
    console.log(`start the service with:\n  ${Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ')} npm start`)
  })
}

main()
