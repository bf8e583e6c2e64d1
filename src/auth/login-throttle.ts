import { isIPv6 } from 'node:net'

/**
 * Failed-login limits per (username, client address) pair and per client address, and a limit on
 * successful logins per client address: a sliding window of times for each key. The per-user limit
 * counts pairs (contract v2 A5) so that a stranger's wrong guesses never lock the rightful user out
 * from their own address; the per-address limit still bounds a spray across usernames. Pure apart from the injected clock; the HTTP route asks before it verifies a password
 * (so a refused attempt costs no scrypt) and reports how the attempt ended.
 *
 * Every admitted attempt counts as a failure at once and is taken back when it succeeds, so a burst
 * of parallel guesses cannot all slip in while the first ones are still being verified.
 */
export interface LoginLimits {
  /** failures one username may have from one client address in `windowMs` before it is refused there */
  perUser: number
  /** failures one client address (an IPv6 /64) may have in `windowMs`; looser, it covers many users */
  perAddress: number
  windowMs: number
  /** keys tracked per kind; past it the longest-idle keys are forgotten (bounds memory under a spray) */
  maxKeys?: number
  /**
   * successful logins one client address may make in `successWindowMs` (each makes a session row and
   * costs a password hash); unset: unlimited
   */
  successesPerAddress?: number
  successWindowMs?: number
}

export type Admission = { allowed: true } | { allowed: false; scope: 'user' | 'address' | 'successes'; retryAfterMs: number }

export class LoginThrottle {
  private readonly users: FailureLog
  private readonly addresses: FailureLog
  private readonly successes: FailureLog | undefined

  readonly limits: LoginLimits
  private readonly now: () => number
  private readonly onRefused: ((scope: 'user' | 'address' | 'successes') => void) | undefined

  constructor(opts: { limits: LoginLimits; now: () => number; /** told of every refused attempt (for a metric) */ onRefused?: (scope: 'user' | 'address' | 'successes') => void }) {
    const limits = (this.limits = opts.limits)
    this.now = opts.now
    this.onRefused = opts.onRefused
    const maxKeys = limits.maxKeys ?? 100_000
    this.users = new FailureLog(limits.perUser, limits.windowMs, maxKeys)
    this.addresses = new FailureLog(limits.perAddress, limits.windowMs, maxKeys)
    if (limits.successesPerAddress !== undefined) this.successes = new FailureLog(limits.successesPerAddress, limits.successWindowMs ?? 60_000, maxKeys)
  }

  /**
   * Asks whether `username` may try to log in from `address`. When allowed, the attempt is counted as
   * a failure against both until `succeeded` takes it back.
   */
  admit(username: string, address: string | undefined): Admission {
    const t = this.now()
    const addr = addressKey(address)
    const pair = pairKey(username, addr)
    const userWait = this.users.waitMs(pair, t)
    const addrWait = this.addresses.waitMs(addr, t)
    if (userWait > 0 || addrWait > 0) return this.refused(userWait >= addrWait ? { allowed: false, scope: 'user', retryAfterMs: userWait } : { allowed: false, scope: 'address', retryAfterMs: addrWait })
    const successWait = this.successes?.waitMs(addr, t) ?? 0
    if (successWait > 0) return this.refused({ allowed: false, scope: 'successes', retryAfterMs: successWait })
    this.users.add(pair, t)
    this.addresses.add(addr, t)
    return { allowed: true }
  }

  private refused(a: Admission & { allowed: false }): Admission {
    this.onRefused?.(a.scope)
    return a
  }

  /**
   * The admitted attempt was right: the pair's failures are forgotten, the address's failure count
   * loses this one, and the success is counted against the address.
   */
  succeeded(username: string, address: string | undefined): void {
    const addr = addressKey(address)
    this.users.clear(pairKey(username, addr))
    this.addresses.removeLatest(addr)
    this.successes?.add(addr, this.now())
  }
}

/** A username and an address key; an address key holds no NUL, so the pair is unambiguous. */
function pairKey(username: string, addr: string): string {
  return `${username}\u0000${addr}`
}

/**
 * The key an address is counted under: IPv4-mapped IPv6 as plain IPv4; other IPv6 addresses by their
 * /64 prefix, since one host commonly holds a whole /64.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!isIPv6(address)) return address
  const bare = address.split('%')[0]!
  const [head, tail = ''] = bare.split('::') as [string, string?]
  const left = head ? head.split(':') : []
  const right = bare.includes('::') ? (tail ? tail.split(':') : []) : []
  // An embedded IPv4 tail (a.b.c.d) takes two groups; it only ever lies in the last 64 bits.
  const rightGroups = right.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0)
  const groups = bare.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - rightGroups)).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}

/** Failure times per key, oldest first, at most `max` kept per key. */
class FailureLog {
  private readonly times = new Map<string, number[]>()

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** 0 when another attempt is allowed at `t`, else how long until the oldest counted failure ages out. */
  waitMs(key: string, t: number): number {
    const list = this.live(key, t)
    if (!list || list.length < this.max) return 0
    return list[list.length - this.max]! + this.windowMs - t
  }

  add(key: string, t: number): void {
    const list = this.live(key, t) ?? []
    list.push(t)
    if (list.length > this.max) list.splice(0, list.length - this.max)
    // Re-inserting keeps the map in order of last activity, so the first key is the longest idle.
    this.times.delete(key)
    this.times.set(key, list)
    if (this.times.size > this.maxKeys) this.times.delete(this.times.keys().next().value!)
  }

  clear(key: string): void {
    this.times.delete(key)
  }

  removeLatest(key: string): void {
    const list = this.times.get(key)
    list?.pop()
    if (list && list.length === 0) this.times.delete(key)
  }

  /** The key's failures still inside the window (older ones dropped). */
  private live(key: string, t: number): number[] | undefined {
    const list = this.times.get(key)
    if (!list) return undefined
    let drop = 0
    while (drop < list.length && list[drop]! + this.windowMs <= t) drop++
    if (drop) list.splice(0, drop)
    if (list.length === 0) {
      this.times.delete(key)
      return undefined
    }
    return list
  }
}
