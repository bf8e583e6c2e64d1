// The failed-login limits on their own, with a hand-driven clock.
import { describe, expect, test } from 'vitest'
import { addressKey, LoginThrottle, type LoginLimits } from '../../../src/auth/login-throttle.ts'

const MIN = 60_000
const LIMITS: LoginLimits = { perUser: 5, perAddress: 12, windowMs: 15 * MIN }

function throttle(limits: LoginLimits = LIMITS) {
  let now = 1_000_000
  const th = new LoginThrottle({ limits, now: () => now })
  return { th, advance: (ms: number) => (now += ms) }
}

/** Admits and fails `n` attempts; returns how many were admitted. */
function fail(th: LoginThrottle, user: string, address: string, n: number): number {
  let admitted = 0
  for (let i = 0; i < n; i++) if (th.admit(user, address).allowed) admitted++
  return admitted
}

describe('login throttle', () => {
  test('5 failures for one user are allowed, the 6th is refused with the time until the oldest ages out', () => {
    const { th, advance } = throttle()
    for (let i = 0; i < 5; i++) {
      expect(th.admit('alice', '10.0.0.1').allowed).toBe(true)
      advance(MIN)
    }
    const refused = th.admit('alice', '10.0.0.1')
    expect(refused).toEqual({ allowed: false, scope: 'user', retryAfterMs: 10 * MIN })
    // Contract v2 A5: the limit is the (user, address) pair's; from another address alice may still log in.
    expect(th.admit('alice', '10.9.9.9').allowed).toBe(true)
    // Another user from the same address is not affected.
    expect(th.admit('bob', '10.0.0.1').allowed).toBe(true)
  })

  test('the window slides: once the oldest failure is 15 min old, one more attempt is allowed', () => {
    const { th, advance } = throttle()
    for (let i = 0; i < 5; i++) {
      expect(th.admit('alice', 'a').allowed).toBe(true)
      advance(MIN)
    }
    advance(10 * MIN - 1)
    expect(th.admit('alice', 'a').allowed).toBe(false)
    advance(1)
    expect(th.admit('alice', 'a').allowed).toBe(true)
    expect(th.admit('alice', 'a').allowed).toBe(false)
  })

  test('a successful login forgets the user’s failures', () => {
    const { th } = throttle()
    expect(fail(th, 'alice', 'a', 4)).toBe(4)
    expect(th.admit('alice', 'a').allowed).toBe(true)
    th.succeeded('alice', 'a')
    expect(fail(th, 'alice', 'a', 6)).toBe(5)
  })

  test('successful logins are bounded per address, per minute', () => {
    const { th, advance } = throttle({ ...LIMITS, successesPerAddress: 3, successWindowMs: MIN })
    for (let i = 0; i < 3; i++) {
      expect(th.admit('alice', 'a').allowed).toBe(true)
      th.succeeded('alice', 'a')
    }
    expect(th.admit('alice', 'a')).toMatchObject({ allowed: false, scope: 'successes' })
    expect(th.admit('alice', 'b').allowed).toBe(true)
    advance(MIN)
    expect(th.admit('alice', 'a').allowed).toBe(true)
  })

  test('an address is refused after its looser limit, across many usernames', () => {
    const { th } = throttle()
    for (let i = 0; i < 12; i++) expect(th.admit(`user-${i}`, '192.0.2.7').allowed).toBe(true)
    expect(th.admit('user-99', '192.0.2.7')).toMatchObject({ allowed: false, scope: 'address' })
    expect(th.admit('user-99', '192.0.2.8').allowed).toBe(true)
  })

  test('a success does not reset the address’s count (one known account cannot launder a spray)', () => {
    const { th } = throttle()
    for (let i = 0; i < 11; i++) th.admit(`user-${i}`, 'x')
    th.admit('me', 'x')
    th.succeeded('me', 'x')
    // 11 failures remain counted: one more is allowed, then the address is refused.
    expect(th.admit('other', 'x').allowed).toBe(true)
    expect(th.admit('other2', 'x')).toMatchObject({ allowed: false, scope: 'address' })
  })

  test('attempts are counted when admitted, so a parallel burst cannot exceed the limit', () => {
    const { th } = throttle()
    // 20 attempts admitted before any of them is verified.
    const admitted = Array.from({ length: 20 }, () => th.admit('alice', 'a')).filter((a) => a.allowed).length
    expect(admitted).toBe(5)
  })

  test('memory is bounded under a username spray: the longest-idle keys are forgotten', () => {
    const { th } = throttle({ ...LIMITS, perAddress: 1_000_000, maxKeys: 100 })
    for (let i = 0; i < 10_000; i++) th.admit(`spray-${i}`, 'a')
    // The oldest were dropped (they could try again), the newest are still counted.
    expect(fail(th, 'spray-0', 'a', 6)).toBe(5)
    expect(fail(th, 'spray-9999', 'a', 5)).toBe(4)
  })

  test('addresses: IPv4-mapped IPv6 counts as IPv4, IPv6 counts by its /64', () => {
    expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3')
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(addressKey(undefined)).toBe('unknown')
    const { th } = throttle()
    for (let i = 0; i < 12; i++) th.admit(`u${i}`, `2001:db8:1:2::${i.toString(16)}`)
    expect(th.admit('u99', '2001:db8:1:2:ffff::1')).toMatchObject({ allowed: false, scope: 'address' })
    expect(th.admit('u99', '2001:db8:1:3::1').allowed).toBe(true)
  })
})
