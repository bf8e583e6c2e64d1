import type { Clock } from '../../ports.ts'

/** What a vendor answered, or why there was no answer. Never carries the URL (it may hold a key). */
export type PostResult = { ok: true; status: number; body: unknown } | { ok: false; error: string }

export const DEFAULT_TIMEOUT_MS = 10_000

/** POSTs JSON and reads a JSON answer, within `timeoutMs`. */
export async function postJson(url: string, body: unknown, timeoutMs: number): Promise<PostResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (!res.ok) return { ok: false, error: `HTTP ${res.status}` }
    let parsed: unknown = undefined
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    return { ok: true, status: res.status, body: parsed }
  } catch (err) {
    return { ok: false, error: describe(err) }
  }
}

/** fetch's errors say "fetch failed" and keep the reason in `cause`; neither names the URL. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed'
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out'
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? err.message.replace(/https?:\/\/\S+/g, '<url>')
}

/** A vendor's JSON answer that carries an error code (`errcode`, `code`, `StatusCode`): 0 is success. */
export function vendorError(body: unknown, fields: string[]): string | undefined {
  if (typeof body !== 'object' || body === null) return 'answer is not JSON'
  const b = body as Record<string, unknown>
  for (const f of fields) {
    if (!(f in b)) continue
    if (b[f] === 0 || b[f] === '0') return undefined
    const msg = [b.errmsg, b.msg, b.StatusMessage].find((m) => typeof m === 'string' || typeof m === 'number') ?? ''
    return `${f} ${typeof b[f] === 'string' || typeof b[f] === 'number' ? String(b[f]) : JSON.stringify(b[f])}: ${String(msg).slice(0, 200)}`
  }
  return `answer has no ${fields.join('/')}`
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
export function cutUtf8(s: string, bytes: number): string {
  if (Buffer.byteLength(s) <= bytes) return s
  let out = s
  while (Buffer.byteLength(out) > bytes - 3) out = out.slice(0, -1)
  return out + '…'
}

/** A group robot whose requests are signed with the robot's secret (DingTalk, Feishu). */
export interface SignedRobotOptions {
  /** the robot's webhook URL (it carries the robot's token: never logged) */
  url: string
  secret: string | undefined
  /** must be the real clock: the vendors refuse a signature more than an hour off */
  clock: Clock
  timeoutMs: number
}
