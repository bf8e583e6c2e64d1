import type { DisplayTokenStore, StoredDisplayToken } from '../../ports.ts'
import type { Db } from './database.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS display_tokens (
  id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, stations TEXT NOT NULL,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL
);
`

interface Row { id: string; token_hash: string; name: string; stations: string; created_at: number; created_by: string }

const toToken = (r: Row): StoredDisplayToken => ({ id: r.id, tokenHash: r.token_hash, name: r.name, stations: JSON.parse(r.stations) as string[], createdAt: r.created_at, createdBy: r.created_by })

/** Display tokens on the main connection, like sessions: a revocation must hold at the very next request. */
export class EmbeddedDisplayTokenStore implements DisplayTokenStore {
  private readonly stmts

  constructor(db: Db) {
    db.exec(SCHEMA)
    this.stmts = {
      // The bound is checked in the INSERT itself, so two creations at once cannot both slip under it.
      insert: db.prepare(
        'INSERT INTO display_tokens (id, token_hash, name, stations, created_at, created_by) SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM display_tokens) < ?',
      ),
      findByHash: db.prepare<[string], Row>('SELECT * FROM display_tokens WHERE token_hash = ?'),
      list: db.prepare<[], Row>('SELECT * FROM display_tokens ORDER BY created_at, rowid'),
      find: db.prepare<[string], Row>('SELECT * FROM display_tokens WHERE id = ?'),
      remove: db.prepare('DELETE FROM display_tokens WHERE id = ?'),
    }
  }

  insert(t: StoredDisplayToken, max: number): boolean {
    return this.stmts.insert.run(t.id, t.tokenHash, t.name, JSON.stringify(t.stations), t.createdAt, t.createdBy, max).changes === 1
  }

  findByHash(tokenHash: string): StoredDisplayToken | undefined {
    const r = this.stmts.findByHash.get(tokenHash)
    return r ? toToken(r) : undefined
  }

  list(): StoredDisplayToken[] {
    return this.stmts.list.all().map(toToken)
  }

  remove(id: string): StoredDisplayToken | undefined {
    const r = this.stmts.find.get(id)
    if (!r) return undefined
    this.stmts.remove.run(id)
    return toToken(r)
  }
}
