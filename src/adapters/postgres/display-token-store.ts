import type pg from 'pg'
import type { DisplayTokenStore, StoredDisplayToken } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { eachRow } from './rows.ts'

interface Row { id: string; token_hash: string; name: string; stations: string[]; created_at: number; created_by: string }

const toToken = (r: Row): StoredDisplayToken => ({ id: r.id, tokenHash: r.token_hash, name: r.name, stations: r.stations, createdAt: r.created_at, createdBy: r.created_by })

/**
 * Display tokens in PostgreSQL. The port is synchronous (a wall screen's request resolves its token
 * at once), so this instance answers from a copy loaded at start and refreshed every `refreshMs`;
 * changes go to the table through the group writer. A token made or revoked on another instance
 * is seen here at the next refresh (a few seconds) — the bound on how many exist is checked on
 * this instance's copy, so two instances creating the last slot at once may both succeed.
 */
export class PostgresDisplayTokenStore implements DisplayTokenStore {
  private tokens: StoredDisplayToken[] = []
  private readonly insertRow
  private readonly deleteRow
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.insertRow = writer.table(eachRow('INSERT INTO display_tokens (id, token_hash, name, stations, created_at, created_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT DO NOTHING'))
    this.deleteRow = writer.table(eachRow('DELETE FROM display_tokens WHERE id = $1'))
  }

  /** Loads the copy, then keeps it fresh. */
  async load(refreshMs = 2_000): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), refreshMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private async refresh(): Promise<void> {
    await this.writer.committed()
    const { rows } = await this.pool.query<Row>('SELECT id, token_hash, name, stations, created_at, created_by FROM display_tokens ORDER BY created_at, seq')
    this.tokens = rows.map(toToken)
  }

  insert(t: StoredDisplayToken, max: number): boolean {
    if (this.tokens.length >= max || this.tokens.some((x) => x.id === t.id || x.tokenHash === t.tokenHash)) return false
    this.tokens.push(t)
    this.insertRow([t.id, t.tokenHash, t.name, JSON.stringify(t.stations), t.createdAt, t.createdBy])
    return true
  }

  findByHash(tokenHash: string): StoredDisplayToken | undefined {
    return this.tokens.find((t) => t.tokenHash === tokenHash)
  }

  list(): StoredDisplayToken[] {
    return [...this.tokens]
  }

  remove(id: string): StoredDisplayToken | undefined {
    const t = this.tokens.find((x) => x.id === id)
    if (!t) return undefined
    this.tokens = this.tokens.filter((x) => x !== t)
    this.deleteRow([id])
    return t
  }
}
