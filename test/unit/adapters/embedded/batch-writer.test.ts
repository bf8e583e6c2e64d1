// The group-commit writer against a real SQLite file and its real writer thread: order, visibility
// to the reading connection, and what a failed commit does to everything queued after it.
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, test } from 'vitest'
import { BatchWriter, StoreWriteError } from '../../../../src/adapters/embedded/batch-writer.ts'
import { openDatabase, type Db } from '../../../../src/adapters/embedded/database.ts'
import { tempDir } from '../../../helpers/station-fixture.ts'

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

function open(intervalMs = 20, maxRows = 5000, onFailure?: (err: StoreWriteError) => void): { db: Db; writer: BatchWriter; dir: string } {
  const dir = tempDir('sw-writer-')
  const db = openDatabase(dir)
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, x INTEGER NOT NULL CHECK (x >= 0))')
  const writer = new BatchWriter(db, { intervalMs, maxRows, ...(onFailure ? { onFailure } : {}) })
  cleanup.push(async () => {
    await writer.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, writer, dir }
}

const xs = (db: Db) => db.prepare<[], { x: number }>('SELECT x FROM t ORDER BY id').all().map((r) => r.x)

describe('BatchWriter', () => {
  test('rows are committed in the order they were queued, across batches, and visible to other connections once committed() resolves', async () => {
    const { db, writer, dir } = open(5, 100)
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    for (let i = 0; i < 1000; i++) insert([i])
    expect(xs(db)).toEqual([]) // nothing is written on this thread
    await writer.committed()
    const expected = Array.from({ length: 1000 }, (_, i) => i)
    expect(xs(db)).toEqual(expected)
    const other = new Database(join(dir, 'stationwatch.db'), { readonly: true })
    expect(other.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1000 })
    other.close()
  })

  test('committed() with the writer idle commits at the end of the turn, not after the interval', async () => {
    const { db, writer } = open(10_000)
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    for (let round = 0; round < 5; round++) {
      insert([round])
      const started = performance.now()
      await writer.committed()
      // One commit of one row: milliseconds, even on a loaded machine; the interval is 10 s.
      expect(performance.now() - started).toBeLessThan(2000)
    }
    expect(xs(db)).toEqual([0, 1, 2, 3, 4])
  })

  test('rows nobody waits for are committed after the interval', async () => {
    const { db, writer } = open(300)
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    insert([1])
    await new Promise((r) => setTimeout(r, 100))
    expect(xs(db)).toEqual([])
    await new Promise((r) => setTimeout(r, 1500))
    expect(xs(db)).toEqual([1])
  })

  test('while a commit runs the next batch fills, and is cut as soon as that commit is done: batches grow with the load', async () => {
    const batches: number[] = []
    const dir = tempDir('sw-writer-')
    const db = openDatabase(dir)
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER NOT NULL)')
    const writer = new BatchWriter(db, { intervalMs: 10_000, onCommit: (_ms, rows) => batches.push(rows) })
    cleanup.push(async () => {
      await writer.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    // A closed loop of 50 callers, each queueing 20 rows and waiting for them, 20 times over.
    let n = 0
    const caller = async () => {
      for (let k = 0; k < 20; k++) {
        for (let i = 0; i < 20; i++) insert([n++])
        await writer.committed()
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: 50 }, caller))
    expect(performance.now() - started).toBeLessThan(10_000) // never the 10 s interval
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 20_000 })
    // Far fewer commits than waits (1,000): followers share the leader's next commit.
    expect(batches.length).toBeLessThan(200)
    expect(Math.max(...batches)).toBeGreaterThanOrEqual(500)
    expect(batches.reduce((a, b) => a + b, 0)).toBe(20_000)
  })

  test('latest() keeps one row per key, built when the batch is cut', async () => {
    const { db, writer } = open()
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)')
    const put = writer.latest('kv', 'INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v')
    let value = 1
    let built = 0
    for (let i = 0; i < 10; i++) put('a', () => (built++, ['a', value]))
    value = 7
    await writer.flush()
    expect(built).toBe(1)
    expect(db.prepare('SELECT v FROM kv').all()).toEqual([{ v: 7 }])
  })

  test('flushSync() makes what was queued visible to this thread at once', () => {
    const { db, writer } = open(10_000)
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    insert([5])
    insert([6])
    writer.flushSync()
    expect(xs(db)).toEqual([5, 6])
  })

  test('a failed commit stores nothing of its batch or of any later one, rejects every committed(), and is reported once', async () => {
    const failures: StoreWriteError[] = []
    const { db, writer } = open(5, 5000, (err) => failures.push(err))
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    insert([1])
    await writer.committed()

    insert([2])
    insert([-1]) // refused by the CHECK constraint: the whole batch rolls back
    insert([3])
    const failed = writer.committed()
    await expect(failed).rejects.toBeInstanceOf(StoreWriteError)
    await expect(failed).rejects.toThrow(/CHECK constraint failed/)
    insert([4])
    await expect(writer.committed()).rejects.toBeInstanceOf(StoreWriteError)
    await expect(writer.flush()).rejects.toBeInstanceOf(StoreWriteError)
    expect(() => writer.flushSync()).toThrow(StoreWriteError)
    await new Promise((r) => setTimeout(r, 50))
    expect(xs(db)).toEqual([1])
    expect(failures).toHaveLength(1)
    expect(failures[0]!.code).toBe('SQLITE_CONSTRAINT_CHECK')
  })

  test('the WAL is copied into the database as it grows, so it stays bounded under a long stream of writes', async () => {
    const { db, writer, dir } = open(5, 500)
    db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)')
    const insert = writer.table('blobs', 'INSERT INTO blobs (b) VALUES (?)')
    const blob = Buffer.alloc(16 * 1024, 7)
    for (let i = 0; i < 4000; i++) {
      insert([blob]) // 64 MB in all
      if (i % 500 === 499) await writer.committed()
    }
    await writer.committed()
    insert([blob]) // a new write transaction starts again from the front of a fully copied WAL
    await writer.committed()
    expect(db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 4001 })
    expect(statSync(join(dir, 'stationwatch.db-wal')).size).toBeLessThan(32 * 1024 * 1024)
  })

  test('close() commits what is still queued, and the file is whole for the next writer', async () => {
    const dir = tempDir('sw-writer-')
    let db = openDatabase(dir)
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER NOT NULL)')
    let writer = new BatchWriter(db, { intervalMs: 10_000 })
    const insert = writer.table('t', 'INSERT INTO t (x) VALUES (?)')
    for (let i = 0; i < 3000; i++) insert([i])
    await writer.close()
    db.close()
    db = openDatabase(dir)
    writer = new BatchWriter(db)
    expect(db.prepare('SELECT count(*) AS n, sum(x) AS s FROM t').get()).toEqual({ n: 3000, s: (2999 * 3000) / 2 })
    await writer.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
    expect(() => insert([1])).toThrow(/closed/)
  })
})
