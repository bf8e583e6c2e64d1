import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

// The device-secret format of contract §2: sha256:<salt, ≥16 hex>:<hex sha256(salt + secret)>.
// The simulator keeps its own copy of this small function: it speaks the contract, not the service's code.
const SECRET_HASH = /^sha256:([0-9a-f]{16,}):([0-9a-f]{64})$/

/** A random device secret: 192 bits as hex (the contract asks for at least 128). */
export function newSecret(): string {
  return randomBytes(24).toString('hex')
}

export function hashSecret(secret: string, salt: string = randomBytes(16).toString('hex')): string {
  if (!/^[0-9a-f]{16,}$/.test(salt)) throw new Error('hashSecret: salt must be at least 16 lowercase hex characters')
  return `sha256:${salt}:${sha256Hex(salt + secret)}`
}

export function verifySecret(secretHash: string, secret: string): boolean {
  const m = SECRET_HASH.exec(secretHash)
  if (!m) return false
  return timingSafeEqual(Buffer.from(m[2]!, 'hex'), Buffer.from(sha256Hex(m[1]! + secret), 'hex'))
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
