/**
 * (8) What a commit costs on this disk (issue 14): the floor under an acknowledgement. An fsync
 * after a 4 KiB append; an SQLite WAL commit with synchronous=NORMAL (the writer thread's setting:
 * no fsync per commit) and with synchronous=FULL (an fsync of the WAL per commit); and the batch
 * writer's `committed()` round trip for one row with the writer idle (setImmediate, the writer
 * thread's commit, its message back).
 */
import Database from 'better-sqlite3'
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../test/helpers/station-fixture.ts'
import { BatchWriter } from '../src/adapters/embedded/batch-writer.ts'
import { openDatabase } from '../src/adapters/embedded/database.ts'
import type { BenchContext, BenchResult, Figure } from './lib/context.ts'
import { summarize, type LatencySummary } from './lib/stats.ts'

async function timed(n: number, f: () => unknown): Promise<LatencySummary> {
  const lat: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f()
    lat.push(performance.now() - t)
  }
  return summarize(lat)
}

export async function diskCommit(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 300 : 2000
  const dir = tempDir('sw-bench-disk-')
  const rows: { what: string; ms: LatencySummary }[] = []
  try {
    const fd = openSync(join(dir, 'append'), 'a')
    const block = Buffer.alloc(4096, 1)
    rows.push({ what: 'fsync after a 4 KiB append', ms: await timed(n, () => (writeSync(fd, block), fsyncSync(fd))) })
    closeSync(fd)
    for (const sync of ['NORMAL', 'FULL']) {
      const db = new Database(join(dir, `${sync}.db`))
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${sync}`)
      db.pragma('wal_autocheckpoint = 0')
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)')
      const ins = db.prepare('INSERT INTO t (x) VALUES (?)')
      const row = 'x'.repeat(200)
      const tx = db.transaction((k: number) => {
        for (let i = 0; i < k; i++) ins.run(row)
      })
      for (const k of [1, 100]) rows.push({ what: `SQLite WAL commit, synchronous=${sync}, ${k} row(s) of 200 B`, ms: await timed(n, () => tx(k)) })
      db.close()
    }
    const db = openDatabase(dir)
    db.exec('CREATE TABLE IF NOT EXISTS t2 (id INTEGER PRIMARY KEY, x INTEGER)')
    const writer = new BatchWriter(db)
    const ins = writer.table('t2', 'INSERT INTO t2 (x) VALUES (?)')
    let i = 0
    rows.push({ what: 'batch writer: 1 row queued → committed() resolved (writer idle)', ms: await timed(n, () => (ins([i++]), writer.committed())) })
    await writer.close()
    db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  for (const r of rows) ctx.log(`  ${r.what}: p50 ${r.ms.p50} p99 ${r.ms.p99} max ${r.ms.max} ms`)
  const figures: Figure[] = rows.flatMap((r) => [
    { metric: `${r.what}, p50`, value: r.ms.p50, unit: 'ms' },
    { metric: `${r.what}, p99`, value: r.ms.p99, unit: 'ms' },
  ])
  return {
    name: 'disk',
    title: 'Commit latency on this disk',
    method: `${n} of each, one after another, in the benchmark process, in a temporary directory on the disk DATA_DIR would use (the OS temp dir); the disk and the CPUs are shared with whatever else runs on the machine.`,
    figures,
    details: rows,
  }
}
