import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../adapters/embedded/database.ts'
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts'
import type { Role } from './roles.ts'

export interface User { name: string; role: Role }
export interface Session { token: string; expiresAt: number; user: User }

// Verifying against a real hash when the user is unknown keeps login time flat,
// so response time does not reveal which usernames exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

/** Sessions one user may hold; a login past it drops that user's oldest session. */
export const MAX_SESSIONS_PER_USER = 50
/** How often expired sessions are deleted (an indexed DELETE, off the login path). */
export const SESSION_SWEEP_INTERVAL_MS = 10 * 60_000

/** Users and login sessions; tokens are stored only as hashes. */
export class Accounts {
  private sweeper: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    /** told the token hashes of the sessions a login dropped past MAX_SESSIONS_PER_USER (their /ws is closed) */
    private readonly onSessionsDropped?: (username: string, tokenHashes: string[]) => void,
  ) {}

  /** Deletes expired sessions now and every SESSION_SWEEP_INTERVAL_MS until stopSweeping. */
  startSweeping(now: () => number = Date.now): void {
    this.sweepExpired(now())
    this.sweeper = setInterval(() => this.sweepExpired(now()), SESSION_SWEEP_INTERVAL_MS)
    this.sweeper.unref()
  }

  stopSweeping(): void {
    clearInterval(this.sweeper)
  }

  /** Expired sessions are refused anyway (every lookup checks expires_at); this only frees their rows. */
  sweepExpired(now = Date.now()): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes
  }

  /**
   * Makes sure the bootstrap administrator exists. Returns the generated password
   * when one had to be made, so the caller can show it once.
   */
  async bootstrapAdmin(username: string, password: string | undefined): Promise<string | undefined> {
    const row = this.db.prepare('SELECT username FROM users WHERE username = ?').get(username)
    if (row && password === undefined) return undefined
    if (row && password !== undefined) {
      // An operator who sets ADMIN_PASSWORD gets that password, even after a first start.
      this.db.prepare("UPDATE users SET password_hash = ?, role = 'admin' WHERE username = ?").run(await hashPassword(password), username)
      return undefined
    }
    const chosen = password ?? generatePassword()
    await this.createUser(username, chosen, 'admin')
    return password === undefined ? chosen : undefined
  }

  async createUser(username: string, password: string, role: Role): Promise<User | undefined> {
    const hash = await hashPassword(password)
    const r = this.db.prepare('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(username, hash, role, Date.now())
    return r.changes === 1 ? { name: username, role } : undefined
  }

  async login(username: string, password: string, now = Date.now()): Promise<Session | undefined> {
    const row = this.db.prepare<[string], { password_hash: string; role: Role }>('SELECT password_hash, role FROM users WHERE username = ?').get(username)
    const ok = await verifyPassword(row?.password_hash ?? DUMMY_HASH, password)
    if (!row || !ok) return undefined
    const token = randomBytes(32).toString('base64url')
    const expiresAt = now + this.ttlMs
    this.db.prepare('INSERT INTO sessions (token_hash, username, expires_at, created_at) VALUES (?, ?, ?, ?)').run(hashToken(token), username, expiresAt, now)
    // Bounded per user: whatever is past the newest MAX_SESSIONS_PER_USER goes (uses sessions_user_created).
    const dropped = this.db
      .prepare<[string, number], { token_hash: string }>('SELECT token_hash FROM sessions WHERE username = ? ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?')
      .all(username, MAX_SESSIONS_PER_USER)
      .map((r) => r.token_hash)
    if (dropped.length > 0) {
      const remove = this.db.prepare('DELETE FROM sessions WHERE token_hash = ?')
      for (const h of dropped) remove.run(h)
      this.onSessionsDropped?.(username, dropped)
    }
    return { token, expiresAt, user: { name: username, role: row.role } }
  }

  authenticate(token: string, now = Date.now()): User | undefined {
    const row = this.db
      .prepare<[string, number], { username: string; role: Role }>('SELECT s.username, u.role FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = ? AND s.expires_at > ?')
      .get(hashToken(token), now)
    return row ? { name: row.username, role: row.role } : undefined
  }

  /** The live session behind a token: its user and when it expires (for connections that outlive a request). */
  session(token: string, now = Date.now()): { user: User; expiresAt: number } | undefined {
    const row = this.db
      .prepare<[string, number], { username: string; role: Role; expires_at: number }>('SELECT s.username, u.role, s.expires_at FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = ? AND s.expires_at > ?')
      .get(hashToken(token), now)
    return row ? { user: { name: row.username, role: row.role }, expiresAt: row.expires_at } : undefined
  }

  logout(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hashToken(token))
  }

  list(): (User & { createdAt: number })[] {
    return this.db
      .prepare<[], { username: string; role: Role; created_at: number }>('SELECT username, role, created_at FROM users ORDER BY username')
      .all()
      .map((r) => ({ name: r.username, role: r.role, createdAt: r.created_at }))
  }
}

/** How a token is kept: only this hash is stored (and held by long-lived connections). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
