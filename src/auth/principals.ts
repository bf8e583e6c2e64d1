import type { Accounts, User } from './accounts.ts'
import { isDisplayToken, type DisplayTokens } from './display-tokens.ts'

/** A display token never expires by itself (it is revoked instead). */
export const NEVER_EXPIRES = Number.MAX_SAFE_INTEGER

/** Who a token is, and until when a connection that outlives its request may keep it. */
export interface Principal { user: User; expiresAt: number }

/**
 * The one place where a token (bearer, cookie or query) becomes who is asking: a login session, or a
 * display token (contract v2 §E). HTTP and `/ws` both ask here. When the state store's reads become
 * asynchronous, this is the function to convert.
 */
export class Principals {
  constructor(
    private readonly accounts: Accounts,
    private readonly displays: DisplayTokens,
  ) {}

  resolve(token: string): Principal | undefined {
    const session = this.accounts.session(token)
    if (session || !isDisplayToken(token)) return session
    const user = this.displays.principal(token)
    return user ? { user, expiresAt: NEVER_EXPIRES } : undefined
  }
}
