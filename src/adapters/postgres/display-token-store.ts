import type pg from 'pg'
import type { DisplayTokenStore, StoredDisplayToken } from '../../ports.ts'
import type { GroupWriter } from './group-writer.ts'
import { inTransaction, json, text } from './pool.ts'

interface Row { id: string; token_hash: string; name: string; stations: string[]; created_at: number; created_by: string }

const toToken = (r: Row): StoredDisplayToken => ({ id: r.id, tokenHash: r.token_hash, name: r.name, stations: r.stations, createdAt: r.created_at, createdBy: r.created_by })

const COLUMNS = 'id, token_hash, name, stations, created_at, created_by'

/**
 * Display tokens in PostgreSQL. Every method is a statement of its own, not a queued write: a
 * creation must know whether it passed the bound, and a revocation must hold at the very next
 * request on any instance. Reads still wait for what this instance queued before them.
 */
export class PostgresDisplayTokenStore implements DisplayTokenStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {}

  async insert(t: StoredDisplayToken, max: number): Promise<boolean> {
    await this.writer.committed()
    return inTransaction(this.pool, async (client) => {
      // Under READ COMMITTED two instances would each count the other's token out and both pass the
      // bound. The lock (it conflicts with itself, not with reads) makes creations take turns, so
      // the count in the INSERT sees every token committed before it.
      await client.query('LOCK TABLE display_tokens IN SHARE ROW EXCLUSIVE MODE')
      const r = await client.query(
        `INSERT INTO display_tokens (${COLUMNS}) SELECT $1, $2, $3, $4::jsonb, $5, $6 WHERE (SELECT count(*) FROM display_tokens) < $7`,
        [t.id, t.tokenHash, text(t.name), json(t.stations), t.createdAt, text(t.createdBy), max],
      )
      return r.rowCount === 1
    })
  }

  async findByHash(tokenHash: string): Promise<StoredDisplayToken | undefined> {
    await this.writer.committed()
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM display_tokens WHERE token_hash = $1`, [tokenHash])
    return rows[0] ? toToken(rows[0]) : undefined
  }

  async list(): Promise<StoredDisplayToken[]> {
    await this.writer.committed()
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM display_tokens ORDER BY created_at, seq`)
    return rows.map(toToken)
  }

  async remove(id: string): Promise<StoredDisplayToken | undefined> {
    await this.writer.committed()
    // One statement: of two instances removing one token, one gets it back, the other undefined.
    const { rows } = await this.pool.query<Row>(`DELETE FROM display_tokens WHERE id = $1 RETURNING ${COLUMNS}`, [id])
    return rows[0] ? toToken(rows[0]) : undefined
  }
}
