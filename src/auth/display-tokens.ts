import { randomBytes } from 'node:crypto'
import type { DisplayTokenStore } from '../ports.ts'
import { hashToken, type User } from './accounts.ts'

/** How many display tokens may exist at once: a wall per station of a large district, with room to spare. */
export const MAX_DISPLAY_TOKENS = 200
/**
 * Display tokens carry this prefix, so a token is looked up where it belongs, and so a login
 * session's token is never taken from a URL (only a display token is accepted as `?token=` on /api).
 */
export const DISPLAY_TOKEN_PREFIX = 'swd_'

export function isDisplayToken(token: string): boolean {
  return token.startsWith(DISPLAY_TOKEN_PREFIX)
}

/** A display token as the API shows it: never the token itself, except once when it is made. */
export interface DisplayToken { id: string; name: string; stations: string[]; createdAt: number; createdBy: string }

/**
 * Read-only, revocable principals for wall screens (contract v2 §E): viewer rights, limited to their
 * stations, no expiry. Stored only as hashes (like sessions), so a lookup by hash is the comparison:
 * no token byte is compared in time that depends on it.
 */
export class DisplayTokens {
  constructor(
    private readonly store: DisplayTokenStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The new token, shown this once; undefined when MAX_DISPLAY_TOKENS exist already. */
  create(name: string, stations: string[], by: string): (DisplayToken & { token: string }) | undefined {
    const token = DISPLAY_TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const record = { id: randomBytes(8).toString('hex'), name, stations, createdAt: this.now(), createdBy: by }
    if (!this.store.insert({ ...record, tokenHash: hashToken(token) }, MAX_DISPLAY_TOKENS)) return undefined
    return { ...record, token }
  }

  list(): DisplayToken[] {
    return this.store.list().map(({ tokenHash: _h, ...t }) => t)
  }

  /** Revokes a token at once; returns its hash (to close its open /ws connections), or undefined if unknown. */
  revoke(id: string): string | undefined {
    return this.store.remove(id)?.tokenHash
  }

  /** The read-only principal behind a display token, or undefined. */
  principal(token: string): User | undefined {
    if (!isDisplayToken(token)) return undefined
    const t = this.store.findByHash(hashToken(token))
    return t ? { name: t.name, role: 'viewer', stations: t.stations, display: t.id } : undefined
  }
}
