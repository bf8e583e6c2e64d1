import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Device secrets are random tokens of ≥128 bits, so a salted SHA-256 is enough
 * (contract §2); human passwords use scrypt instead (see passwords.ts).
 */
export function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): string {
  return `sha256:${salt}:${digest(salt, secret)}`
}

export function verifySecret(secretHash: string, secret: string): boolean {
  const m = /^sha256:([0-9a-f]{16,}):([0-9a-f]{64})$/.exec(secretHash)
  if (!m) return false
  const expected = Buffer.from(m[2]!, 'hex')
  const actual = Buffer.from(digest(m[1]!, secret), 'hex')
  return timingSafeEqual(expected, actual)
}

export function newSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(24).toString('base64url')
  return { secret, secretHash: hashSecret(secret) }
}

function digest(salt: string, secret: string): string {
  return createHash('sha256').update(salt + secret, 'utf8').digest('hex')
}
