import { createHash, randomBytes } from 'node:crypto'
import type { Part } from '../lifecycle.ts'
import type { AccountStore } from '../ports.ts'
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts'
import type { Role } from './roles.ts'

/**
 * Who a request is: a user by login session, or a display token (`display`: its id; read-only,
 * viewer rights). `stations` limits what they see (absent: every station; see station-scope.ts).
 */
export interface User { name: string; role: Role; stations?: string[]; display?: string }
export interface Session { token: string; expiresAt: number; user: User }

// Verifying against a real hash when the user is unknown keeps login time flat,
// so response time does not reveal which usernames exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

/** Sessions one user may hold; a login past it drops that user's oldest session. */
export const MAX_SESSIONS_PER_USER = 50
/** How often expired sessions are deleted (an indexed DELETE, off the login path). */
export const SESSION_SWEEP_INTERVAL_MS = 10 * 60_000

export interface AccountsOptions {
  store: AccountStore
  sessionTtlMs: number
  now?: () => number
  /** told the token hashes of the sessions a login dropped past MAX_SESSIONS_PER_USER (their /ws is closed) */
  onSessionsDropped?: (username: string, tokenHashes: string[]) => void
}

/**
 * Users and login sessions; tokens are stored only as hashes. A part: while started, expired
 * sessions are swept every SESSION_SWEEP_INTERVAL_MS (lookups refuse them anyway; this frees rows).
 */
export class Accounts implements Part {
  readonly name = 'accounts'
  private readonly store: AccountStore
  private readonly ttlMs: number
  private readonly now: () => number
  private readonly onSessionsDropped: AccountsOptions['onSessionsDropped']
  private sweeper: NodeJS.Timeout | undefined

  constructor(opts: AccountsOptions) {
    this.store = opts.store
    this.ttlMs = opts.sessionTtlMs
    this.now = opts.now ?? Date.now
    this.onSessionsDropped = opts.onSessionsDropped
  }

  start(): void {
    this.sweepExpired()
    this.sweeper = setInterval(() => this.sweepExpired(), SESSION_SWEEP_INTERVAL_MS)
    this.sweeper.unref()
  }

  stop(): void {
    clearInterval(this.sweeper)
  }

  sweepExpired(): number {
    return this.store.deleteExpiredSessions(this.now())
  }

  /**
   * Makes sure the bootstrap administrator exists. Returns the generated password
   * when one had to be made, so the caller can show it once.
   */
  async bootstrapAdmin(username: string, password: string | undefined): Promise<string | undefined> {
    const existing = this.store.findUser(username)
    if (existing && password === undefined) return undefined
    if (existing && password !== undefined) {
      // An operator who sets ADMIN_PASSWORD gets that password, even after a first start, and sees every station.
      this.store.updateUser(username, { passwordHash: await hashPassword(password), role: 'admin', stations: null })
      return undefined
    }
    const chosen = password ?? generatePassword()
    await this.createUser(username, chosen, 'admin')
    return password === undefined ? chosen : undefined
  }

  async createUser(username: string, password: string, role: Role, stations?: string[]): Promise<User | undefined> {
    const passwordHash = await hashPassword(password)
    const user = { name: username, role, ...(stations ? { stations } : {}) }
    return this.store.insertUser({ ...user, passwordHash, createdAt: this.now() }) ? user : undefined
  }

  /**
   * Changes a user's role, password or station scope (`stations: null` = every station).
   * Their sessions stay valid and see the change at their next request; undefined if no such user.
   */
  async editUser(username: string, change: { role?: Role; password?: string; stations?: string[] | null }): Promise<User | undefined> {
    if (!this.store.findUser(username)) return undefined
    this.store.updateUser(username, {
      ...(change.role ? { role: change.role } : {}),
      ...(change.password !== undefined ? { passwordHash: await hashPassword(change.password) } : {}),
      ...(change.stations !== undefined ? { stations: change.stations } : {}),
    })
    const u = this.store.findUser(username)
    return u ? publicUser(u) : undefined
  }

  async login(username: string, password: string): Promise<Session | undefined> {
    const user = this.store.findUser(username)
    const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password)
    if (!user || !ok) return undefined
    const now = this.now()
    const token = randomBytes(32).toString('base64url')
    const expiresAt = now + this.ttlMs
    this.store.insertSession({ tokenHash: hashToken(token), username, expiresAt, createdAt: now })
    const dropped = this.store.trimSessions(username, MAX_SESSIONS_PER_USER)
    if (dropped.length > 0) this.onSessionsDropped?.(username, dropped)
    return { token, expiresAt, user: publicUser(user) }
  }

  authenticate(token: string): User | undefined {
    return this.store.findSession(hashToken(token), this.now())?.user
  }

  /** The live session behind a token: its user and when it expires (for connections that outlive a request). */
  session(token: string): { user: User; expiresAt: number } | undefined {
    return this.store.findSession(hashToken(token), this.now())
  }

  logout(token: string): void {
    this.store.deleteSession(hashToken(token))
  }

  list(): (User & { createdAt: number })[] {
    return this.store.listUsers().map((u) => ({ ...publicUser(u), createdAt: u.createdAt }))
  }
}

function publicUser(u: User): User {
  return { name: u.name, role: u.role, ...(u.stations ? { stations: u.stations } : {}) }
}

/** How a token is kept: only this hash is stored (and held by long-lived connections). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
