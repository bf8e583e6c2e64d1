import type { Role } from '../../auth/roles.ts'
import type { AccountStore, StoredUser } from '../../ports.ts'
import type { Db } from './database.ts'

interface UserRow { username: string; password_hash: string; role: Role; created_at: number; stations: string | null }

/** `stations` is a JSON array of station ids, NULL for every station. */
const toUser = (r: UserRow): StoredUser => ({ name: r.username, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at, ...scopeOf(r.stations) })
const scopeOf = (column: string | null): { stations?: string[] } => (column === null ? {} : { stations: JSON.parse(column) as string[] })

const USER_COLUMNS = 'username, password_hash, role, created_at, stations'

/**
 * Users and sessions in the embedded database, on the main connection: a login or a token check
 * must see its own writes at once, and these are few (a login a second at most).
 */
export class EmbeddedAccountStore implements AccountStore {
  private readonly stmts

  constructor(private readonly db: Db) {
    this.stmts = {
      findUser: db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`),
      insertUser: db.prepare('INSERT INTO users (username, password_hash, role, created_at, stations) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      listUsers: db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`),
      insertSession: db.prepare('INSERT INTO sessions (token_hash, username, expires_at, created_at) VALUES (?, ?, ?, ?)'),
      findSession: db.prepare<[string, number], { username: string; role: Role; stations: string | null; expires_at: number }>(
        'SELECT s.username, u.role, u.stations, s.expires_at FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = ? AND s.expires_at > ?',
      ),
      deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
      // Uses sessions_user_created: whatever is past the newest `keep` goes.
      sessionsPast: db.prepare<[string, number], { token_hash: string }>('SELECT token_hash FROM sessions WHERE username = ? ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?'),
      // Uses sessions_expires_at.
      deleteExpired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    }
  }

  findUser(username: string): StoredUser | undefined {
    const r = this.stmts.findUser.get(username)
    return r ? toUser(r) : undefined
  }

  insertUser(u: StoredUser): boolean {
    return this.stmts.insertUser.run(u.name, u.passwordHash, u.role, u.createdAt, u.stations ? JSON.stringify(u.stations) : null).changes === 1
  }

  updateUser(username: string, change: { passwordHash?: string; role?: Role; stations?: string[] | null }): void {
    const sets: string[] = []
    const args: (string | null)[] = []
    if (change.passwordHash !== undefined) (sets.push('password_hash = ?'), args.push(change.passwordHash))
    if (change.role !== undefined) (sets.push('role = ?'), args.push(change.role))
    if (change.stations !== undefined) (sets.push('stations = ?'), args.push(change.stations === null ? null : JSON.stringify(change.stations)))
    if (sets.length === 0) return
    this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE username = ?`).run(...args, username)
  }

  listUsers(): StoredUser[] {
    return this.stmts.listUsers.all().map(toUser)
  }

  insertSession(s: { tokenHash: string; username: string; expiresAt: number; createdAt: number }): void {
    this.stmts.insertSession.run(s.tokenHash, s.username, s.expiresAt, s.createdAt)
  }

  findSession(tokenHash: string, now: number): { user: { name: string; role: Role; stations?: string[] }; expiresAt: number } | undefined {
    const r = this.stmts.findSession.get(tokenHash, now)
    return r ? { user: { name: r.username, role: r.role, ...scopeOf(r.stations) }, expiresAt: r.expires_at } : undefined
  }

  deleteSession(tokenHash: string): void {
    this.stmts.deleteSession.run(tokenHash)
  }

  trimSessions(username: string, keep: number): string[] {
    const past = this.stmts.sessionsPast.all(username, keep).map((r) => r.token_hash)
    for (const h of past) this.stmts.deleteSession.run(h)
    return past
  }

  deleteExpiredSessions(now: number): number {
    return this.stmts.deleteExpired.run(now).changes
  }
}
