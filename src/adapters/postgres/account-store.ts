import type pg from 'pg'
import type { Role } from '../../auth/roles.ts'
import type { AccountStore, StoredUser } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { json } from './pool.ts'
import { eachRow, insertRows } from './rows.ts'

interface UserRow { username: string; password_hash: string; role: Role; created_at: number; stations: string[] | null }

/** `stations` is a jsonb array of station ids, NULL for every station (then absent, as the port has it). */
const scopeOf = (column: string[] | null): { stations?: string[] } => (column === null ? {} : { stations: column })
const toUser = (r: UserRow): StoredUser => ({ name: r.username, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at, ...scopeOf(r.stations) })

const USER_COLUMNS = 'username, password_hash, role, created_at, stations'

/**
 * Users and sessions in PostgreSQL. Changes that answer nothing (a session made or ended, a
 * password changed) are queued on the group writer; a read waits for what was queued before it.
 * Inserting a user and trimming sessions decide on what is stored, so each is one statement that
 * decides and writes at once: of two instances inserting one name, the primary key lets one win.
 */
export class PostgresAccountStore implements AccountStore {
  private readonly update
  private readonly insertSessionRow
  private readonly deleteSessionRow

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    // A partial change: a NULL parameter keeps the column (the scope has its own flag, since NULL is a value for it).
    this.update = writer.table(
      eachRow(
        'UPDATE users SET password_hash = coalesce($1, password_hash), role = coalesce($2, role), stations = CASE WHEN $3::boolean THEN $4::jsonb ELSE stations END WHERE username = $5',
      ),
    )
    // Inserts registered before deletes: a session ended in the batch that made it is gone.
    this.insertSessionRow = writer.table(
      insertRows('sessions', [['token_hash', 'text'], ['username', 'text'], ['expires_at', 'bigint'], ['created_at', 'bigint']]),
    )
    this.deleteSessionRow = writer.table(eachRow('DELETE FROM sessions WHERE token_hash = $1'))
  }

  async findUser(username: string): Promise<StoredUser | undefined> {
    await this.writer.committed()
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username])
    return rows[0] ? toUser(rows[0]) : undefined
  }

  async insertUser(u: StoredUser): Promise<boolean> {
    await this.writer.committed()
    const r = await this.pool.query('INSERT INTO users (username, password_hash, role, created_at, stations) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING', [
      u.name,
      u.passwordHash,
      u.role,
      u.createdAt,
      u.stations ? json(u.stations) : null,
    ])
    return r.rowCount === 1
  }

  updateUser(username: string, change: { passwordHash?: string; role?: Role; stations?: string[] | null }): void {
    if (change.passwordHash === undefined && change.role === undefined && change.stations === undefined) return
    const stations = change.stations === undefined || change.stations === null ? null : json(change.stations)
    this.update([change.passwordHash ?? null, change.role ?? null, change.stations !== undefined, stations, username])
  }

  async listUsers(): Promise<StoredUser[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username COLLATE "C"`)
    return rows.map(toUser)
  }

  insertSession(s: { tokenHash: string; username: string; expiresAt: number; createdAt: number }): void {
    this.insertSessionRow([s.tokenHash, s.username, s.expiresAt, s.createdAt])
  }

  async findSession(tokenHash: string, now: number): Promise<{ user: { name: string; role: Role; stations?: string[] }; expiresAt: number } | undefined> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ username: string; role: Role; stations: string[] | null; expires_at: number }>(
      'SELECT s.username, u.role, u.stations, s.expires_at FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = $1 AND s.expires_at > $2',
      [tokenHash, now],
    )
    const r = rows[0]
    return r ? { user: { name: r.username, role: r.role, ...scopeOf(r.stations) }, expiresAt: r.expires_at } : undefined
  }

  deleteSession(tokenHash: string): void {
    this.deleteSessionRow([tokenHash])
  }

  async trimSessions(username: string, keep: number): Promise<string[]> {
    await this.writer.committed()
    // One statement: what it returns is what it deleted, even with another instance trimming too.
    const { rows } = await this.pool.query<{ token_hash: string }>(
      `DELETE FROM sessions WHERE token_hash IN (
         SELECT token_hash FROM sessions WHERE username = $1 ORDER BY created_at DESC, seq DESC OFFSET $2
       ) RETURNING token_hash`,
      [username, keep],
    )
    return rows.map((r) => r.token_hash)
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    await this.writer.committed()
    const r = await this.pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now])
    return r.rowCount ?? 0
  }
}
