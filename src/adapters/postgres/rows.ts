import type { RowsWriter } from './group-writer.ts'

/**
 * A multi-row INSERT of one batch's rows in one round trip: one array parameter per column,
 * unnested in the order queued (so serial ids follow it). With `key`, only the last row per key
 * is kept: an upsert may not touch the same row twice in one statement, and the last is what a
 * row-by-row upsert would have left.
 */
export function insertRows(table: string, columns: [name: string, type: string][], opts: { onConflict?: string; key?: number } = {}): RowsWriter {
  const names = columns.map(([n]) => n).join(', ')
  const arrays = columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')
  const sql = `INSERT INTO ${table} (${names}) SELECT ${names} FROM unnest(${arrays}) WITH ORDINALITY AS u(${names}, ord) ORDER BY ord ${opts.onConflict ?? ''}`
  return (client, rows) => {
    const kept = opts.key === undefined ? rows : lastPerKey(rows, opts.key)
    return client.query(sql, columns.map((_, c) => kept.map((r) => r[c])))
  }
}

/** One statement run once per queued row of parameters, in order. */
export function eachRow(sql: string): RowsWriter {
  return async (client, rows) => {
    for (const r of rows) await client.query(sql, r)
  }
}

function lastPerKey(rows: unknown[][], key: number): unknown[][] {
  const last = new Map<unknown, unknown[]>()
  // A key keeps the place of its first row (where a row-by-row insert would have put it).
  for (const r of rows) last.set(r[key], r)
  return [...last.values()]
}
